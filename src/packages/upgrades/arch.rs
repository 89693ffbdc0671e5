//! OCI platforms as Debian and Alpine index architectures, and which index an installed
//! package's architecture is looked up in.

use super::Manager;

/// The index architecture of OCI platform `os_arch` / `variant` for `manager`'s archives
/// (`amd64` → `amd64` / `x86_64`; `arm` `v7` → `armhf` / `armv7`). An `arm` platform without a
/// variant is `v7`, as the OCI image index's default.
pub(crate) fn native(
    manager: Manager,
    os_arch: &str,
    variant: Option<&str>,
) -> Result<&'static str, String> {
    let variant = variant.filter(|v| !v.is_empty());
    let arch = match (manager, os_arch, variant) {
        (Manager::Dpkg, "amd64", _) => "amd64",
        (Manager::Dpkg, "arm64", _) => "arm64",
        (Manager::Dpkg, "arm", None | Some("v7" | "v8")) => "armhf",
        (Manager::Dpkg, "arm", Some("v6" | "v5")) => "armel",
        (Manager::Dpkg, "386", _) => "i386",
        (Manager::Dpkg, "ppc64le", _) => "ppc64el",
        (Manager::Dpkg, "s390x", _) => "s390x",
        (Manager::Dpkg, "riscv64", _) => "riscv64",
        (Manager::Dpkg, "mips64le", _) => "mips64el",
        (Manager::Apk, "amd64", _) => "x86_64",
        (Manager::Apk, "arm64", _) => "aarch64",
        (Manager::Apk, "arm", None | Some("v7" | "v8")) => "armv7",
        (Manager::Apk, "arm", Some("v6")) => "armhf",
        (Manager::Apk, "386", _) => "x86",
        (Manager::Apk, "ppc64le", _) => "ppc64le",
        (Manager::Apk, "s390x", _) => "s390x",
        (Manager::Apk, "riscv64", _) => "riscv64",
        _ => {
            let archive = match manager {
                Manager::Dpkg => "Debian",
                Manager::Apk => "Alpine",
            };
            let platform = match variant {
                Some(v) => format!("{os_arch}/{v}"),
                None => os_arch.to_string(),
            };
            return Err(format!(
                "platform `{}` has no {archive} architecture uptick knows",
                crate::log::shown_name(&platform, 40)
            ));
        }
    };
    Ok(arch)
}

/// The index an installed package of `installed` architecture is looked up in: the platform's
/// own for `all` / `noarch` / none, else its own (`i386` on an amd64 image); `None` for a name
/// no index could have.
pub(crate) fn index_for<'a>(installed: &'a str, native: &'a str) -> Option<&'a str> {
    match installed {
        "" | "all" | "noarch" => Some(native),
        a if a.len() <= 32 && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => Some(a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_platforms_are_debian_and_alpine_architectures() {
        let d = |a, v| native(Manager::Dpkg, a, v);
        let k = |a, v| native(Manager::Apk, a, v);
        assert_eq!(d("amd64", None), Ok("amd64"));
        assert_eq!(d("arm64", Some("v8")), Ok("arm64"));
        assert_eq!(d("arm", Some("v7")), Ok("armhf"));
        assert_eq!(d("arm", None), Ok("armhf"));
        assert_eq!(d("arm", Some("v6")), Ok("armel"));
        assert_eq!(d("arm", Some("v5")), Ok("armel"));
        assert_eq!(d("386", None), Ok("i386"));
        assert_eq!(d("ppc64le", None), Ok("ppc64el"));
        assert_eq!(d("mips64le", None), Ok("mips64el"));
        assert_eq!(d("s390x", None), Ok("s390x"));
        assert_eq!(d("riscv64", None), Ok("riscv64"));
        assert_eq!(k("amd64", None), Ok("x86_64"));
        assert_eq!(k("arm64", None), Ok("aarch64"));
        assert_eq!(k("arm", Some("v7")), Ok("armv7"));
        assert_eq!(k("arm", Some("v6")), Ok("armhf"));
        assert_eq!(k("386", None), Ok("x86"));
        assert_eq!(k("ppc64le", None), Ok("ppc64le"));
        assert_eq!(
            d("wasm", None).unwrap_err(),
            "platform `wasm` has no Debian architecture uptick knows"
        );
        assert!(k("arm", Some("v5")).unwrap_err().contains("`arm/v5`"));
        assert!(k("mips64le", None).is_err());
    }

    #[test]
    fn installed_architectures_pick_their_index() {
        assert_eq!(index_for("all", "amd64"), Some("amd64"));
        assert_eq!(index_for("", "amd64"), Some("amd64"));
        assert_eq!(index_for("noarch", "x86_64"), Some("x86_64"));
        assert_eq!(index_for("i386", "amd64"), Some("i386"));
        assert_eq!(index_for("x86_64", "x86_64"), Some("x86_64"));
        assert_eq!(index_for("../x", "amd64"), None);
    }
}
