//! Exports `trawl:collector/plugin@0.2.0`: a world version the host does
//! not speak.

wit_bindgen::generate!({
    inline: r#"
        package trawl:collector@0.2.0;
        interface plugin {
            describe: func() -> string;
        }
        world collector {
            export plugin;
        }
    "#,
});

struct Future;

impl exports::trawl::collector::plugin::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Future);
