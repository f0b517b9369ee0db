//! Host bindings generated from `wit/collector.wit`.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "collector",
    imports: { default: async },
    exports: { default: async },
});
