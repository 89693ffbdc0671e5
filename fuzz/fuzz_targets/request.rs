//! Request decoding: any bytes on stdin give a request or a one-line error, never a panic,
//! for every envelope and every part (image and package sources, versions, params).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptick::protocol::{self, *};

fn parts(
    source: serde_json::Value,
    version: Option<serde_json::Value>,
    params: Option<serde_json::Value>,
) {
    if uptick::testing::packages::is_package_source(&source) {
        let _ = uptick::testing::packages::decode(source);
        if let Some(v) = version {
            let _ = protocol::decode_part::<PackageVersion>(v, "version");
        }
        if let Some(p) = params {
            let _ = protocol::decode_part::<PackageGetParams>(p, "params");
        }
    } else {
        let _ = protocol::decode_part::<ImageSource>(source, "source");
        if let Some(v) = version {
            let _ = protocol::decode_part::<ImageVersion>(v, "version");
        }
        if let Some(p) = params {
            let _ = protocol::decode_part::<ImageGetParams>(p.clone(), "params");
            let _ = protocol::decode_part::<ImagePutParams>(p, "params");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = protocol::read_envelope::<CheckEnvelope>(&mut &data[..]) {
        parts(r.source, r.version, None);
    }
    if let Ok(r) = protocol::read_envelope::<InEnvelope>(&mut &data[..]) {
        parts(r.source, Some(r.version), r.params);
    }
    if let Ok(r) = protocol::read_envelope::<OutEnvelope>(&mut &data[..]) {
        parts(r.source, None, r.params);
    }
    if let Err(e) = protocol::read_envelope::<CheckEnvelope>(&mut &data[..]) {
        let line = uptick::one_line(&e.to_string());
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "error is one line: {line}"
        );
    }
});
