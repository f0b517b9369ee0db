//! Core modules built for `wasm32-wasip1` (the old `wasm32-wasi`) with
//! wit-bindgen, turned into components at load, as `wasm-tools component
//! new --adapt` would: wit-component reads the component type wit-bindgen
//! embedded in the module and wraps it with the WASI preview 1 adapter
//! that matches this host's wasmtime. The result is cached by the
//! module's own hash like any component.

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;

/// The component for a wasip1 core module, or why it cannot be one.
pub fn component_of(module: &[u8]) -> Result<Vec<u8>, String> {
    if !has_component_type(module)? {
        return Err("it has no component type: it was not built with wit-bindgen".into());
    }
    let encoder = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(module)
        .map_err(|e| one_line(&e))?
        .adapter("wasi_snapshot_preview1", WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER)
        .map_err(|e| one_line(&e))?;
    let mut encoder = encoder;
    encoder.encode().map_err(|e| one_line(&e))
}

/// wit-component's errors carry a chain of causes; one line of them.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").lines().next().unwrap_or_default().to_owned()
}

/// Whether wit-bindgen left its `component-type*` custom section in the
/// module (without one there is no world to make a component of).
fn has_component_type(module: &[u8]) -> Result<bool, String> {
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        match payload.map_err(|e| e.to_string())? {
            wasmparser::Payload::CustomSection(section) if section.name().starts_with("component-type") => {
                return Ok(true);
            }
            _ => {}
        }
    }
    Ok(false)
}
