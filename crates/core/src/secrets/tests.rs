#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use alloc::vec;

const CONFIG: Rules = Rules {
    assignments: true,
    npmrc: false,
    docker_auths: false,
};

fn kinds(text: &str, rules: Rules) -> Vec<SecretKind> {
    find(text.as_bytes(), rules)
        .iter()
        .map(|h| h.kind)
        .collect()
}

#[test]
fn prefixed_tokens_anywhere_and_standing_alone() {
    let none = Rules::default();
    assert_eq!(
        kinds("id=AKIAIOSFODNN7EXAMPLE\n", none),
        [SecretKind::AwsAccessKeyId]
    );
    // Inside a longer word or run: not a key id.
    assert!(kinds("XAKIAIOSFODNN7EXAMPLE", none).is_empty());
    assert!(kinds("AKIAIOSFODNN7EXAMPLEX", none).is_empty());
    let gh = alloc::format!("ghp_{}", "a1B2".repeat(9));
    assert_eq!(kinds(&gh, none), [SecretKind::GitHubToken]);
    assert!(kinds("ghp_short", none).is_empty());
    assert_eq!(
        kinds("glpat-abcdefghij0123456789", none),
        [SecretKind::GitLabToken]
    );
    assert_eq!(kinds("xoxb-1234567890-abc", none), [SecretKind::SlackToken]);
    assert_eq!(
        kinds("AIzaSyA1234567890abcdefghijklmnopqrstuv", none),
        [SecretKind::GoogleApiKey]
    );
    assert_eq!(
        kinds("sk_live_0123456789abcdefghijklmn", none),
        [SecretKind::StripeKey]
    );
    assert_eq!(
        kinds("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", none),
        [SecretKind::PrivateKey]
    );
    assert!(kinds("-----BEGIN PUBLIC KEY-----", none).is_empty());
    assert!(kinds("-----BEGIN CERTIFICATE-----", none).is_empty());
}

#[test]
fn keyed_values_only_where_their_rules_apply() {
    assert_eq!(
        kinds("password=hunter2hunter2", CONFIG),
        [SecretKind::Assignment]
    );
    assert!(kinds("password=hunter2hunter2", Rules::default()).is_empty());
    assert_eq!(
        kinds(r#"{"db_password": "s3cr3t-value"}"#, CONFIG),
        [SecretKind::Assignment]
    );
    assert_eq!(
        kinds("api_key: 'abcdef123456'", CONFIG),
        [SecretKind::Assignment]
    );
    // References and placeholders are not secrets.
    for v in [
        "password=$DB_PASSWORD",
        "password=${DB_PASSWORD}",
        "password={{ vault.pw }}",
        "password=<your password>",
        "password=********",
        "password=changeme",
        "password=abc",
        "PWD=/app/somewhere",
        "url=https://example.com/x",
    ] {
        assert!(kinds(v, CONFIG).is_empty(), "{v}");
    }
    // The AWS secret key by its name, in any file.
    let aws = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(kinds(aws, Rules::default()), [SecretKind::AwsSecretKey]);
    let npm = "//registry.npmjs.org/:_authToken=npm-fake-token-0123456789\n";
    let npmrc = Rules::for_path(b"root/.npmrc").unwrap();
    assert_eq!(kinds(npm, npmrc), [SecretKind::NpmToken]);
    let docker = r#"{"auths":{"registry.example.com":{"auth":"ZmFrZTpmYWtlcGFzc3dvcmQ="}}}"#;
    let dc = Rules::for_path(b"root/.docker/config.json").unwrap();
    assert_eq!(kinds(docker, dc), [SecretKind::DockerAuth]);
    // A token as a keyed value is named for the token.
    let gh = alloc::format!("GITHUB_TOKEN=ghp_{}", "x".repeat(36));
    assert_eq!(kinds(&gh, Rules::STEP), [SecretKind::GitHubToken]);
}

#[test]
fn paths_choose_rules() {
    assert!(Rules::for_path(b"usr/lib/libc.so.6").is_none());
    assert!(Rules::for_path(b"app/logo.png").is_none());
    assert!(Rules::for_path(b"usr/lib/python3/dist-packages/x/tests/keycert.pem").is_none());
    assert!(Rules::for_path(b"usr/share/doc/openssl/example.conf").is_none());
    assert!(Rules::for_path(b"app/tests").is_some());
    assert!(Rules::for_path(b"etc/app/app.conf").unwrap().assignments);
    assert!(Rules::for_path(b"app/.env.production").unwrap().assignments);
    assert!(!Rules::for_path(b"app/main.py").unwrap().assignments);
}

#[test]
fn masks_show_a_prefix_and_the_length_only() {
    assert_eq!(mask(b"AKIAIOSFODNN7EXAMPLE"), "AKIA…(20 chars)");
    assert_eq!(mask(b"hunter2hunter2"), "hu…(14 chars)");
    assert_eq!(mask(b"hunter2"), "…(7 chars)");
    let (text, found) = mask_text(
        "/bin/sh -c echo password=hunter2hunter2 > /etc/app.conf && echo AKIAIOSFODNN7EXAMPLE",
        Rules::STEP,
    );
    assert_eq!(
        text,
        "/bin/sh -c echo password=hu…(14 chars) > /etc/app.conf && echo AKIA…(20 chars)"
    );
    assert_eq!(
        found.iter().map(|m| m.kind).collect::<Vec<_>>(),
        [SecretKind::Assignment, SecretKind::AwsAccessKeyId]
    );
    let (env, found) = mask_env("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    assert_eq!(env, "AWS_SECRET_ACCESS_KEY=wJal…(40 chars)");
    assert_eq!(found[0].kind, SecretKind::AwsSecretKey);
    assert_eq!(
        mask_env("PATH=/usr/bin:/bin"),
        ("PATH=/usr/bin:/bin".into(), vec![])
    );
    let (key, _) = mask_text(
        "echo '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----' > k",
        Rules::STEP,
    );
    assert_eq!(key, "echo '-----BEGIN RSA PRIVATE KEY-----…(37 chars)' > k");
}

#[test]
fn streaming_finds_each_secret_once_whatever_the_chunking() {
    let mut text = Vec::new();
    text.extend_from_slice(b"# app\npassword=hunter2hunter2\n");
    // A line longer than a window, with a key id across a window's edge.
    text.extend(core::iter::repeat_n(b'.', MAX_LINE_FOR_TEST - 10));
    text.extend_from_slice(b" AKIAIOSFODNN7EXAMPLE ");
    text.extend(core::iter::repeat_n(b'.', 3 * MAX_LINE_FOR_TEST));
    text.extend_from_slice(b"\ntoken: glpat-abcdefghij0123456789\n");
    for chunk in [1usize, 7, 4096, 1 << 20] {
        let mut s = ContentScanner::new(CONFIG);
        for c in text.chunks(chunk) {
            s.feed(c);
        }
        let out = s.finish();
        let got: Vec<_> = out
            .found
            .iter()
            .map(|(line, m)| (*line, m.kind, m.masked.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, SecretKind::Assignment, "hu…(14 chars)"),
                (3, SecretKind::AwsAccessKeyId, "AKIA…(20 chars)"),
                (4, SecretKind::GitLabToken, "glpa…(26 chars)"),
            ],
            "chunks of {chunk}"
        );
    }
    // A NUL early on: binary, not scanned.
    let mut s = ContentScanner::new(CONFIG);
    s.feed(b"\x7fELF\0\0 password=hunter2hunter2");
    assert!(!s.wants_more());
    assert_eq!(s.finish().count, 0);
}

const MAX_LINE_FOR_TEST: usize = 64 << 10;
