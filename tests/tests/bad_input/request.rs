//! Request-JSON cases (initca and sign mode), and those only `gencert -initca` reads.

use super::case::{Case, Expect, Tool};
use super::HUGE;

pub(super) fn deep(open: &str, n: usize) -> Vec<u8> {
    open.repeat(n).into_bytes()
}

fn huge_json_string(n: usize) -> String {
    "A".repeat(n)
}

/// Request-JSON cases; run against `gencert -initca` and against sign mode.
pub(super) fn request_cases() -> Vec<(String, Vec<u8>, Vec<&'static str>, Expect)> {
    use Expect::*;
    let mut v: Vec<(String, Vec<u8>, Vec<&'static str>, Expect)> = Vec::new();
    let mut add = |name: &str, body: Vec<u8>, frags: &[&'static str], e: Expect| {
        v.push((name.to_string(), body, frags.to_vec(), e));
    };
    add(
        "empty",
        b"".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "only-open-brace",
        b"{".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "whitespace-only",
        b" \n\t ".to_vec(),
        &["unexpected end of JSON input"],
        Fail,
    );
    add(
        "array-top",
        b"[]".to_vec(),
        &["cannot unmarshal array"],
        Fail,
    );
    add(
        "string-top",
        br#""CN""#.to_vec(),
        &["cannot unmarshal string"],
        Fail,
    );
    add(
        "number-top",
        b"42".to_vec(),
        &["cannot unmarshal number"],
        Fail,
    );
    add("cn-number", br#"{"CN":1}"#.to_vec(), &["CN"], Fail);
    add(
        "hosts-string",
        br#"{"CN":"a","hosts":"a.example"}"#.to_vec(),
        &["hosts"],
        Fail,
    );
    add(
        "hosts-number-item",
        br#"{"CN":"a","hosts":[1]}"#.to_vec(),
        &["hosts"],
        Fail,
    );
    add(
        "names-object",
        br#"{"CN":"a","names":{}}"#.to_vec(),
        &["names"],
        Fail,
    );
    add(
        "names-number-item",
        br#"{"CN":"a","names":[1]}"#.to_vec(),
        &["names"],
        Fail,
    );
    add(
        "names-C-number",
        br#"{"CN":"a","names":[{"C":1}]}"#.to_vec(),
        &["C"],
        Fail,
    );
    add(
        "key-string",
        br#"{"CN":"a","key":"ecdsa"}"#.to_vec(),
        &["key"],
        Fail,
    );
    add(
        "key-rsa-1024",
        br#"{"CN":"a","key":{"algo":"rsa","size":1024}}"#.to_vec(),
        &["2400", "RSA key is too weak"],
        Fail,
    );
    add(
        "key-rsa-negative",
        br#"{"CN":"a","key":{"algo":"rsa","size":-1}}"#.to_vec(),
        &["RSA key is too weak"],
        Fail,
    );
    add(
        "key-rsa-huge",
        br#"{"CN":"a","key":{"algo":"rsa","size":100000}}"#.to_vec(),
        &["RSA key size too large"],
        Fail,
    );
    add(
        "key-ecdsa-1",
        br#"{"CN":"a","key":{"algo":"ecdsa","size":1}}"#.to_vec(),
        &["invalid curve"],
        Fail,
    );
    add(
        "key-algo-dsa",
        br#"{"CN":"a","key":{"algo":"dsa","size":2048}}"#.to_vec(),
        &["invalid algorithm"],
        Fail,
    );
    add(
        "key-algo-upper-RSA",
        br#"{"CN":"a","key":{"algo":"RSA","size":2048}}"#.to_vec(),
        &["invalid algorithm"],
        Fail,
    );
    add(
        "key-size-string",
        br#"{"CN":"a","key":{"size":"256"}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-float",
        br#"{"CN":"a","key":{"size":256.5}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-1e400",
        br#"{"CN":"a","key":{"size":1e400}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "key-size-bigint",
        br#"{"CN":"a","key":{"size":99999999999999999999999999}}"#.to_vec(),
        &["size"],
        Fail,
    );
    add(
        "trailing-data",
        br#"{"CN":"a"} trailing"#.to_vec(),
        &["invalid character 't' after top-level value"],
        Fail,
    );
    add(
        "trailing-comma",
        br#"{"CN":"a",}"#.to_vec(),
        &["invalid character '}'"],
        Fail,
    );
    add(
        "single-quotes",
        br#"{'CN':'a'}"#.to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "NaN",
        br#"{"CN":NaN}"#.to_vec(),
        &["invalid character 'N'"],
        Fail,
    );
    add(
        "utf8-bom",
        b"\xEF\xBB\xBF{\"CN\":\"a\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "nul-byte-raw-in-string",
        b"{\"CN\":\"a\x00b\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "nul-byte-leading",
        b"\x00{\"CN\":\"a\"}".to_vec(),
        &["invalid character"],
        Fail,
    );
    add(
        "bad-escape",
        br#"{"CN":"\q"}"#.to_vec(),
        &["invalid character 'q' in string escape code"],
        Fail,
    );
    add(
        "invalid-utf8-host",
        b"{\"CN\":\"a\",\"hosts\":[\"\xff\xfe.example\"]}".to_vec(),
        &["cannot be encoded"],
        Fail,
    );
    add(
        "non-ascii-host",
        "{\"CN\":\"a\",\"hosts\":[\"ümlaut.example\"]}"
            .as_bytes()
            .to_vec(),
        &["cannot be encoded"],
        Fail,
    );
    add(
        "oid-bad-part",
        br#"{"CN":"a","names":[{"OID":{"abc":"v"}}]}"#.to_vec(),
        &["invalid OID part abc"],
        Fail,
    );
    add(
        "oid-value-number",
        br#"{"CN":"a","names":[{"OID":{"1.2.3":1}}]}"#.to_vec(),
        &["OID"],
        Fail,
    );
    add(
        "extensions-id-string",
        br#"{"CN":"a","extensions":[{"id":"1.2.3","value":"BQA="}]}"#.to_vec(),
        &["extensions"],
        Fail,
    );
    add(
        "extensions-bad-base64",
        br#"{"CN":"a","extensions":[{"id":[1,2,3],"value":"!!!!"}]}"#.to_vec(),
        &["illegal base64 data"],
        Fail,
    );
    add(
        "delegation-string",
        br#"{"CN":"a","delegation_enabled":"yes"}"#.to_vec(),
        &["delegation_enabled"],
        Fail,
    );
    // Go encodes any int arc; an arc over u32 must be encoded or refused, never wrap.
    add(
        "oid-arc-over-u32",
        br#"{"CN":"a","names":[{"OID":{"1.2.4294967296":"v"}}]}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "oid-arc-huge",
        br#"{"CN":"a","names":[{"OID":{"1.2.99999999999999999999999":"v"}}]}"#.to_vec(),
        &["99999999999999999999999"],
        Fail,
    );
    add(
        "extensions-id-arc-over-u32",
        br#"{"CN":"a","extensions":[{"id":[1,2,4294967296],"value":"BQA="}]}"#.to_vec(),
        &[],
        Either,
    );
    // Go cannot marshal these OIDs and fails; a CSR with an empty OID must not be made.
    add(
        "extensions-id-negative",
        br#"{"CN":"a","extensions":[{"id":[-1,5],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add(
        "extensions-id-empty",
        br#"{"CN":"a","extensions":[{"id":[],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add(
        "extensions-id-one-arc",
        br#"{"CN":"a","extensions":[{"id":[1],"value":"BQA="}]}"#.to_vec(),
        &[],
        Fail,
    );
    add("deep-arrays-100k", deep("[", 100_000), &["depth"], Fail);
    add(
        "deep-objects-100k",
        deep("{\"a\":", 100_000),
        &["depth"],
        Fail,
    );
    let mut nested = br#"{"CN":"a","names":"#.to_vec();
    nested.extend(deep("[", 100_000));
    add("deep-inside-names", nested, &["depth"], Fail);
    add(
        "huge-file",
        {
            let mut b = br#"{"CN":""#.to_vec();
            b.extend(std::iter::repeat_n(b'A', HUGE));
            b.extend(br#""}"#);
            b
        },
        &["larger than"],
        Fail,
    );
    add("huge-whitespace", vec![b' '; HUGE], &["larger than"], Fail);
    // Robustness: big but under the limit; accepting or refusing are both fine.
    add(
        "cn-1MiB",
        format!(r#"{{"CN":"{}"}}"#, huge_json_string(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    add(
        "host-1MiB",
        format!(r#"{{"CN":"a","hosts":["{}"]}}"#, huge_json_string(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    let hosts: Vec<String> = (0..10_000)
        .map(|i| format!("\"h{i}.example.com\""))
        .collect();
    add(
        "hosts-10000",
        format!(r#"{{"CN":"a","hosts":[{}]}}"#, hosts.join(",")).into_bytes(),
        &[],
        Either,
    );
    let ips: Vec<String> = (0..10_000)
        .map(|i| format!("\"10.0.{}.{}\"", i / 256, i % 256))
        .collect();
    add(
        "ip-hosts-10000",
        format!(r#"{{"CN":"a","hosts":[{}]}}"#, ips.join(",")).into_bytes(),
        &[],
        Either,
    );
    let names: Vec<String> = (0..10_000)
        .map(|i| format!(r#"{{"O":"org{i}"}}"#))
        .collect();
    add(
        "names-10000",
        format!(r#"{{"CN":"a","names":[{}]}}"#, names.join(",")).into_bytes(),
        &[],
        Either,
    );
    add(
        "invalid-utf8-cn",
        b"{\"CN\":\"\xff\xfe\"}".to_vec(),
        &[],
        Either,
    );
    add(
        "lone-surrogate-cn",
        br#"{"CN":"\ud800"}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "escaped-nul-cn",
        br#"{"CN":"a\u0000b"}"#.to_vec(),
        &[],
        Either,
    );
    add(
        "long-number",
        format!(r#"{{"CN":"a","x":{}}}"#, "9".repeat(1 << 20)).into_bytes(),
        &[],
        Either,
    );
    v
}

pub(super) fn initca_only_cases() -> Vec<Case> {
    let gen = |name: &str, body: &[u8], frags: &[&str]| {
        let mut c = Case::new(
            format!("request/initca/{name}"),
            Tool::Cfssl,
            &["gencert", "-initca", "req.json"],
        )
        .file("req.json", body.to_vec());
        for f in frags {
            c = c.err(f);
        }
        c
    };
    vec![
        gen(
            "ca-expiry-1y",
            br#"{"CN":"a","ca":{"expiry":"1y"}}"#,
            &[r#"time: unknown unit "y" in duration "1y""#],
        ),
        gen(
            "ca-expiry-zz",
            br#"{"CN":"a","ca":{"expiry":"zz"}}"#,
            &[r#"time: invalid duration "zz""#],
        ),
        gen(
            "ca-backdate-no-unit",
            br#"{"CN":"a","ca":{"backdate":"10"}}"#,
            &[r#"time: missing unit in duration "10""#],
        ),
        gen(
            "ca-expiry-overflow",
            br#"{"CN":"a","ca":{"expiry":"9999999999999999h"}}"#,
            &["invalid duration"],
        ),
        gen(
            "ca-expiry-number",
            br#"{"CN":"a","ca":{"expiry":8760}}"#,
            &["expiry"],
        ),
        gen(
            "ca-expiry-invalid-utf8",
            b"{\"CN\":\"a\",\"ca\":{\"expiry\":\"1\xffh\"}}",
            &["time:"],
        ),
        gen(
            "ca-pathlen-minus-2",
            br#"{"CN":"a","ca":{"pathlen":-2}}"#,
            &["invalid MaxPathLen"],
        ),
        gen(
            "ca-pathlen-string",
            br#"{"CN":"a","ca":{"pathlen":"1"}}"#,
            &["pathlen"],
        ),
        gen(
            "ca-pathlenzero-string",
            br#"{"CN":"a","ca":{"pathlenzero":"true"}}"#,
            &["pathlenzero"],
        ),
        gen("ca-array", br#"{"CN":"a","ca":[]}"#, &["ca"]),
        gen("no-subject", br#"{}"#, &["missing subject information"]),
        gen(
            "blank-names",
            br#"{"names":[{"C":" "}]}"#,
            &["missing subject information"],
        ),
        gen("null-top", b"null", &["missing subject information"]),
    ]
}
