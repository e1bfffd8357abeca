//! OPC UA binary over the shared corpus (skips when it is absent).

mod ot_corpus;

#[test]
fn corpus_opcua_debug() {
    let Some(dir) = ot_corpus::corpus("opcua") else {
        return;
    };
    let Ok(want) = std::env::var("OPCUA_DEBUG") else { return };
    for path in ot_corpus::captures(&dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains(&want) { continue; }
        let out = ot_corpus::run(&path);
        for (t, r) in &out.records { println!("{t} {r}"); }
        println!("{:?}", out.events);
    }
}
