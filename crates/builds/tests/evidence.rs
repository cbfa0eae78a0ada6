//! Offline detection of the installed build from a synthetic evidence tree with odd casing.

use exhunt_builds::{
    best_evidence, detect_installed_build, pe_file_version, BuildNumber, EvidenceSource, Precision,
};
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b
}

/// A minimal PE-looking image with a VS_FIXEDFILEINFO for 15.1.2507.16.
fn fake_exsetup() -> Vec<u8> {
    let mut b = b"MZ".to_vec();
    b.resize(512, 0);
    b.extend_from_slice(&[0xBD, 0x04, 0xEF, 0xFE]);
    b.extend_from_slice(&0x0001_0000u32.to_le_bytes());
    b.extend_from_slice(&((15u32 << 16) | 1).to_le_bytes());
    b.extend_from_slice(&((2507u32 << 16) | 16).to_le_bytes());
    b.resize(1024, 0);
    b
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[test]
fn finds_every_kind_of_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let v15 = "pROGRAM FILES/Microsoft/Exchange Server/V15";
    fs::create_dir_all(root.join(format!(
        "{v15}/FrontEnd/HttpProxy/OWA/Auth/15.1.2507.6/themes"
    )))
    .unwrap();
    fs::create_dir_all(root.join(format!("{v15}/FrontEnd/HttpProxy/owa/auth/15.1.2507.16")))
        .unwrap();
    fs::create_dir_all(root.join(format!("{v15}/FrontEnd/HttpProxy/owa/auth/Current"))).unwrap();
    let log = fs::read(format!("{FIXTURES}/ExchangeSetup_InstallFromBin.log")).unwrap();
    write(root, "EXCHANGESETUPLOGS/ExchangeSetup.log", &log);
    let header = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.016\r\n#Log-type: HttpProxy Logs\r\n";
    write(
        root,
        &format!("{v15}/Logging/HttpProxy/Owa/HttpProxy_2022111012-1.LOG"),
        header.as_bytes(),
    );
    write(
        root,
        &format!("{v15}/LOGGING/httpproxy/Ecp/HttpProxy_2022111013-1.LOG"),
        header.as_bytes(),
    );
    let old = header.replace("15.01.2507.016", "15.01.2507.013");
    write(
        root,
        &format!("{v15}/Logging/HttpProxy/Owa/HttpProxy_2022101012-1.LOG"),
        old.as_bytes(),
    );
    let reg = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup]\r\n\
\"MsiProductMajor\"=dword:0000000f\r\n\"MsiProductMinor\"=dword:00000001\r\n\
\"MsiBuildMajor\"=dword:000009cb\r\n\"MsiBuildMinor\"=dword:00000006\r\n\
\"OwaVersion\"=\"15.1.2507.6\"\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{CD981244-E9B8-405A-9026-6AEB9DCEF1F1}_KB5019758]\r\n\
\"DisplayName\"=\"Security Update for Exchange Server 2016 Cumulative Update 23 (KB5019758)\"\r\n";
    write(root, "triage/Registry/exchange.REG", &utf16le(reg));
    write(root, &format!("{v15}/bin/ExSetup.EXE"), &fake_exsetup());

    let ev = detect_installed_build(root);
    let by = |s: EvidenceSource| ev.iter().filter(move |e| e.source == s).collect::<Vec<_>>();

    let pe = by(EvidenceSource::ExSetupVersionResource);
    assert_eq!(pe.len(), 1);
    assert_eq!(pe[0].build, BuildNumber::new(15, 1, 2507, 16));
    assert_eq!(pe[0].precision, Precision::Exact);

    let reg = by(EvidenceSource::RegistryExport);
    assert!(reg
        .iter()
        .any(|e| e.build == BuildNumber::new(15, 1, 2507, 16) && e.precision == Precision::Exact));
    assert!(reg
        .iter()
        .any(|e| e.detail.contains("MsiBuildMajor") && e.precision == Precision::CuLevel));

    let proxy = by(EvidenceSource::HttpProxyLog);
    assert_eq!(proxy.len(), 2);
    assert_eq!(proxy[0].build, BuildNumber::new(15, 1, 2507, 16));
    assert!(
        proxy[0].detail.contains("2 HttpProxy log(s)"),
        "{}",
        proxy[0].detail
    );

    let owa = by(EvidenceSource::OwaAuthFolder);
    assert_eq!(owa.len(), 2, "{owa:?}");
    assert_eq!(owa[0].build, BuildNumber::new(15, 1, 2507, 16));

    let setup = by(EvidenceSource::SetupLog);
    assert_eq!(setup.len(), 1);
    assert_eq!(setup[0].build, BuildNumber::new(15, 1, 2176, 2));
    assert_eq!(setup[0].precision, Precision::CuLevel);
    assert!(
        setup[0].detail.contains("did not record success"),
        "{}",
        setup[0].detail
    );
    assert!(setup[0]
        .assessment
        .status
        .starts_with(exhunt_builds::CU_LEVEL_WORDING));

    let best = best_evidence(&ev).unwrap();
    assert_eq!(best.source, EvidenceSource::ExSetupVersionResource);
    assert_eq!(best.assessment.update.as_deref(), Some("Nov22SU"));
    assert!(ev.iter().all(|e| e.path.starts_with(root)));
}

#[test]
fn real_setup_log_sample() {
    let dir = tempfile::tempdir().unwrap();
    let log = fs::read(format!(
        "{FIXTURES}/ExchangeSetup_ServiceControl_Reverse.log"
    ))
    .unwrap();
    write(dir.path(), "C/ExchangeSetupLogs/ExchangeSetup.log", &log);
    let ev = detect_installed_build(dir.path());
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].build.to_string(), "15.1.2507.6");
    assert!(ev[0].detail.starts_with("line 38:"), "{}", ev[0].detail);
}

#[test]
fn empty_missing_and_garbage_trees() {
    assert!(detect_installed_build(Path::new("/nonexistent/exhunt")).is_empty());
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ExchangeSetupLogs/ExchangeSetup.log",
        &[0xFF, 0x00, 0xD8, 0x00, 0x41],
    );
    write(dir.path(), "x.reg", b"not a registry export");
    write(dir.path(), "Bin/ExSetup.exe", b"MZ\xBD\x04\xEF\xFE");
    write(dir.path(), "Logging/HttpProxy/a.log", b"#Version: nonsense");
    fs::create_dir_all(dir.path().join("owa/auth/15.x.1.2")).unwrap();
    assert!(detect_installed_build(dir.path()).is_empty());
    assert_eq!(pe_file_version(b""), None);
    assert_eq!(
        pe_file_version(&fake_exsetup()),
        Some(BuildNumber::new(15, 1, 2507, 16))
    );
}
