//! Decoders of other crates that may panic on corrupt input instead of returning an error
//! (the Parquet reader: a damaged page can reach an `unwrap` inside it). Every call into
//! them goes through [`guard`], which turns such a panic into an error the reader reports
//! as a malformed file, and marks the thread while it runs so that a panic hook can stay
//! quiet about a panic that is caught ([`decoding_foreign_data`]).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside [`guard`]: a panic now is a decoder's, about to be
/// caught and reported as bad data. A program's panic hook may stay silent then.
pub fn decoding_foreign_data() -> bool {
    DECODING.with(Cell::get)
}

/// Runs `decode`, turning a panic inside it into `Err` with the panic's message.
pub(crate) fn guard<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    let outer = DECODING.with(|d| d.replace(true));
    let result = catch_unwind(AssertUnwindSafe(decode));
    DECODING.with(|d| d.set(outer));
    result.map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("its data is damaged (the decoder stopped: {why})")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic, reason = "tests")]

    use super::*;

    #[test]
    fn a_panic_in_a_decoder_is_an_error_and_the_thread_is_marked_only_meanwhile() {
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let caught = guard(|| -> u8 {
            assert!(decoding_foreign_data());
            panic!("corrupt page")
        });
        std::panic::set_hook(hook);
        assert_eq!(
            caught,
            Err("its data is damaged (the decoder stopped: corrupt page)".to_string())
        );
        assert!(!decoding_foreign_data());
        assert_eq!(guard(|| 7), Ok(7));
    }
}
