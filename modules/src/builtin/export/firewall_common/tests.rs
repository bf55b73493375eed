use serde_json::json;

use super::*;

#[test]
fn networks_parse_and_print_like_the_reference() {
    let cases = [
        ("198.51.100.7", "198.51.100.7/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("10.1.2.3/255.255.0.0", "10.1.0.0/16"),
        ("10.1.2.3/0.0.255.255", "10.1.0.0/16"),
        ("10.1.2.3/08", "10.0.0.0/8"),
        ("2001:DB8::1/64", "2001:db8::/64"),
        ("::ffff:1.2.3.4", "::ffff:102:304/128"),
        ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1/128"),
        ("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0/128"),
    ];
    for (input, expected) in cases {
        assert_eq!(Net::parse(input).unwrap().to_string(), expected, "{input}");
    }
    for bad in [
        "01.2.3.4",
        "1.2.3.4/33",
        "1.2.3.4/",
        "1.2.3.4/+8",
        "fe80::1%eth0",
        "1.2.3.4/255.0.255.0",
        "::1/1.2.3.4",
        "1.2.3.4/8/9",
    ] {
        assert!(Net::parse(bad).is_err(), "{bad}");
    }
    let net = Net::parse("192.0.2.0/24").unwrap();
    assert_eq!(
        (net.netmask_text(), net.hostmask_text()),
        ("255.255.255.0".into(), "0.0.0.255".into())
    );
}

#[test]
fn host_names_must_be_qualified() {
    assert_eq!(hostname("WWW.Example.COM.").unwrap(), "www.example.com");
    assert_eq!(hostname("bücher.example").unwrap(), "xn--bcher-kva.example");
    for bad in [
        "localhost",
        "a.123",
        "-a.example",
        "a..example",
        "a_b.example",
        "a.example..",
    ] {
        assert!(hostname(bad).is_err(), "{bad}");
    }
}

#[test]
fn flags_and_ports() {
    assert_eq!(flag(Some(&json!("TRUE")), "x"), Ok(true));
    assert_eq!(flag(Some(&json!(0)), "x"), Ok(false));
    assert_eq!(
        flag(Some(&json!(2)), "x"),
        Err(Invalid("x must be true, false, 1 or 0.".into()))
    );
    assert!(flag(Some(&json!(1.0)), "x").is_err());
    assert_eq!(port("00443").unwrap(), "443");
    assert!(port("65536").is_err() && port("000001").is_err() && port("").is_err());
}

#[test]
fn rule_keys_hash_the_match() {
    let rule = &AclRule::matches(Net::parse("198.51.100.7").unwrap(), Direction::Dst, "")[0];
    assert_eq!(rule.key(), "b45d3e3e11abb357");
}
