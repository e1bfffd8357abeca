//! The shipped OT rules (`rules/vigil-ot.rules`) on the ICS corpus: every
//! rule fires, with the exact number of alerts, on a capture of its
//! protocol. This exercises the protocol keywords end to end (rule parser,
//! protocol module, engine, transaction timing). Skips when the corpus
//! (`../shared/corpus`) is absent.

mod common;

use common::{Run, TempDir, run_file};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// (sid, capture under ics-pcap/, alerts of that sid in it).
const EXPECTED: &[(u64, &str, usize)] = &[
    (
        9200001,
        "modbus/ITI+ICS-Security-Tools__pcaps_ModbusTCP_modbus_test_data_part1.pcap",
        1,
    ),
    (
        9200002,
        "modbus/ITI+ICS-Security-Tools__pcaps_ModbusTCP_modbus_test_data_part1.pcap",
        2,
    ),
    (
        9200003,
        "modbus/zeek+zeek__testing_btest_Traces_modbus_modbus-eit.pcap",
        2,
    ),
    (
        9200004,
        "modbus/cisagov+icsnpp-modbus__testing_traces_modbus_example.pcap",
        1,
    ),
    (
        9200005,
        "modbus/cisagov+icsnpp-modbus__testing_traces_modbus_example.pcap",
        1,
    ),
    (
        9200101,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_cold_restart_and_response.pcap",
        1,
    ),
    (
        9200102,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_warm_restart_and_response.pcap",
        1,
    ),
    (
        9200103,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_auth_control_challenge_response.pcap",
        1,
    ),
    (
        9200104,
        "dnp3/ITI+ICS-Security-Tools__pcaps_bro_dnp3_dnp3_file_write.pcap",
        1,
    ),
    (
        9200105,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_disable_unsolcited_and_response.pcap",
        1,
    ),
    (
        9200106,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_auth_control_challenge_response.pcap",
        1,
    ),
    (
        9200107,
        "dnp3/ITI+ICS-Security-Tools__pcaps_dnp3_auth_change_session_keys.pcap",
        2,
    ),
    (
        9200201,
        "enip-cip/ITI+ICS-Security-Tools__pcaps_EthernetIP_enip_test.pcap",
        2,
    ),
    (
        9200202,
        "enip-cip/cisagov+icsnpp-enip__tests_traces_set_attribute_single_service_cip.pcapng",
        1,
    ),
    (
        9200203,
        "enip-cip/ITI+ICS-Security-Tools__pcaps_openics_EIP-ControlProtocolChangeAttempt.pcap",
        8,
    ),
    (
        9200204,
        "enip-cip/ITI+ICS-Security-Tools__pcaps_openics_EIP-ControlProtocolChangeAttempt.pcap",
        3,
    ),
    (
        9200301,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_090813_diverse.pcap",
        3,
    ),
    (
        9200302,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_TestDissectIec104.pcap",
        1,
    ),
    (
        9200303,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_TestDissectIec104.pcap",
        1,
    ),
    (
        9200304,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_TestDissectIec104.pcap",
        1,
    ),
    (
        9200305,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_JavaRMI_and_IEC_Misc.pcap",
        2,
    ),
    (
        9200306,
        "iec104/ITI+ICS-Security-Tools__pcaps_IEC60870-5-104_090813_diverse.pcap",
        21,
    ),
    (
        9200401,
        "s7comm/ITI+ICS-Security-Tools__pcaps_s7_snap7_s300_everything.pcapng",
        1,
    ),
    (
        9200402,
        "s7comm/ITI+ICS-Security-Tools__pcaps_s7_s7comm_downloading_block_db1.pcap",
        1,
    ),
    (
        9200403,
        "s7comm/cisagov+icsnpp-s7comm__tests_traces_s7ident.pcap",
        4,
    ),
    (
        9200404,
        "s7comm/ITI+ICS-Security-Tools__pcaps_s7_snap7_s300_everything.pcapng",
        2,
    ),
    (
        9200405,
        "s7comm/ITI+ICS-Security-Tools__pcaps_s7_wincc_s300_setup-alarm-read-write.pcapng",
        1,
    ),
    (
        9200406,
        "s7comm/ITI+ICS-Security-Tools__pcaps_s7_s7comm_downloading_block_db1.pcap",
        1,
    ),
    (
        9200407,
        "s7comm-plus/ITI+ICS-Security-Tools__pcaps_s7_S7-1511_db6w0_HMI.pcap",
        4,
    ),
    (
        9200501,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_MMS_-_Specific_Commands_iec61850_write.pcap",
        1,
    ),
    (
        9200502,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_8d7c7db0-9804-012b-b2a6-0016cb8cea27.pcap",
        1,
    ),
    (
        9200503,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_8d7c7db0-9804-012b-b2a6-0016cb8cea27.pcap",
        1,
    ),
    (
        9200504,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_MMS_-_Specific_Commands_mms-startRequest.pcap",
        1,
    ),
    (
        9200505,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_MMS_-_Specific_Commands_mms-startRequest.pcap",
        1,
    ),
    (
        9200506,
        "iec61850-mms/ITI+ICS-Security-Tools__pcaps_IEC61850_MMS_-_Specific_Commands_iec61850_get_variable_access_attributes.pcap",
        1,
    ),
    (
        9200601,
        "bacnet/cisagov+icsnpp-bacnet__testing_traces_bacnet_error_reject_abort.pcap",
        1,
    ),
    (
        9200602,
        "bacnet/cisagov+icsnpp-bacnet__testing_traces_bacnet_error_reject_abort.pcap",
        1,
    ),
    (
        9200603,
        "bacnet/cisagov+icsnpp-bacnet__testing_traces_bacnet_error_reject_abort.pcap",
        1,
    ),
    (
        9200604,
        "bacnet/cisagov+icsnpp-bacnet__testing_traces_bacnet_error_reject_abort.pcap",
        1,
    ),
    (
        9200605,
        "bacnet/cisagov+icsnpp-bacnet__testing_traces_bacnet_error_reject_abort.pcap",
        1,
    ),
    (
        9200701,
        "opcua/cisagov+icsnpp-opcua-binary__pcaps_opcua_with-gap_with-handshake.pcap",
        2,
    ),
    (
        9200702,
        "opcua/cisagov+icsnpp-opcua-binary__pcaps_opcua_with-gap_with-handshake.pcap",
        1,
    ),
    (
        9200703,
        "opcua/cisagov+icsnpp-opcua-binary__pcaps_python_opcua-client-server_encrypted.pcap",
        1,
    ),
    (
        9200704,
        "opcua/cisagov+icsnpp-opcua-binary__pcaps_opcua_with-gap.pcap",
        1,
    ),
    (
        9200801,
        "iec61850-goose/ITI+ICS-Security-Tools__pcaps_IEC61850_Sample_File_MMS_and_GOOSE.pcap",
        8,
    ),
    (
        9200802,
        "iec61850-goose/ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_GOOSE.pcap",
        4,
    ),
    (
        9200803,
        "iec61850-goose/ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_GOOSE.pcap",
        4,
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn alert_counts(run: &Run) -> BTreeMap<u64, usize> {
    let mut m = BTreeMap::new();
    for a in run.records("alert") {
        let sid = a["alert"]["signature_id"].as_u64().expect("sid");
        *m.entry(sid).or_insert(0) += 1;
    }
    m
}

#[test]
fn every_shipped_ot_rule_fires_on_its_capture() {
    let corpus = repo_root().join("../shared/corpus/ics-pcap");
    if !corpus.is_dir() {
        eprintln!("skipping: {} is absent", corpus.display());
        return;
    }
    let rules = repo_root().join("rules/vigil-ot.rules");
    let text = std::fs::read_to_string(&rules).expect("read rules/vigil-ot.rules");
    // Every rule of the file is covered here.
    let sids: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with("alert"))
        .filter_map(|l| {
            l.split("sid:")
                .nth(1)?
                .split(';')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    let covered: Vec<u64> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(
        sids, covered,
        "rules/vigil-ot.rules and EXPECTED list differ"
    );

    let mut by_capture: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for &(sid, capture, n) in EXPECTED {
        by_capture.entry(capture).or_default().push((sid, n));
    }
    let rules_arg = rules.to_str().expect("utf8 path");
    for (capture, want) in by_capture {
        let dir = TempDir::new("ot-rules");
        let run = run_file(
            &dir,
            &corpus.join(capture),
            &[
                "-k",
                "none",
                "-S",
                rules_arg,
                "--set",
                "stream.midstream=true",
            ],
        );
        run.assert_ok();
        let got = alert_counts(&run);
        for (sid, n) in want {
            assert_eq!(
                got.get(&sid).copied().unwrap_or(0),
                n,
                "sid {sid} on {capture}"
            );
        }
    }
}

#[test]
fn goose_alerts_name_the_frame_not_a_flow() {
    // GOOSE rules inspect each Ethernet frame: the alert carries the MAC
    // addresses, the PDU and app_proto, and no IP endpoints or flow.
    let capture = repo_root()
        .join("../shared/corpus/ics-pcap/iec61850-goose/ITI+ICS-Security-Tools__pcaps_IEC61850_GOOSE_GOOSE.pcap");
    if !capture.is_file() {
        eprintln!("skipping: {} is absent", capture.display());
        return;
    }
    let rules = repo_root().join("rules/vigil-ot.rules");
    let dir = TempDir::new("goose-alert");
    let run = run_file(
        &dir,
        &capture,
        &["-k", "none", "-S", rules.to_str().expect("utf8 path")],
    );
    run.assert_ok();
    let alerts = run.records("alert");
    let a = alerts
        .iter()
        .find(|a| a["alert"]["signature_id"] == 9200802)
        .expect("a 9200802 alert");
    assert!(
        a.get("src_ip").is_none() && a.get("flow_id").is_none(),
        "{a}"
    );
    assert!(a.get("flow").is_none(), "{a}");
    assert_eq!(a["app_proto"], "goose", "{a}");
    assert_eq!(
        a["ether"]["dest_mac"].as_str().map(str::len),
        Some(17),
        "{a}"
    );
    assert_eq!(a["goose"]["time_allowed_to_live"], 40000, "{a}");
    assert_eq!(a["goose"]["gocb_ref"], "GEDeviceF650/LLN0$GO$gcb01", "{a}");
}
