#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| videokit_core::fuzz_targets::videosdk_server(data));
