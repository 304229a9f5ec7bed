//! The one drop guard of the family, written once and stamped out in each
//! safe crate under its public name (`posix_ipc::UnlinkOnDrop`,
//! `sysv_ipc::RemoveOnDrop`).
//!
//! It is a macro rather than a generic type here so that the guard is a type
//! of the crate that uses it: that crate can then add inherent methods to
//! one instantiation (`UnlinkOnDrop<MessageQueue>::into_async`), which Rust
//! allows only on local types.

/// Defines a drop guard: a `#[must_use]` wrapper that derefs (also mutably)
/// to its handle, calls the handle's `$action` through the sealed `$Trait`
/// when it drops (ignoring errors: someone else may have done it already),
/// then drops the handle. `new` is crate-private; `into_inner` disarms it;
/// `Debug` shows `Guard(<handle>)`.
///
/// The caller writes the guard's docs and `#[must_use]` message, and the docs
/// of `into_inner`, so each crate's examples use its own types.
#[doc(hidden)]
#[macro_export]
macro_rules! __drop_guard {
    (
        $(#[$meta:meta])*
        pub struct $Guard:ident<T: $Trait:ident> calls $action:ident;
        $(#[$into_inner:meta])*
        pub fn into_inner;
    ) => {
        $(#[$meta])*
        pub struct $Guard<T: $Trait> {
            inner: ::core::mem::ManuallyDrop<T>,
        }

        impl<T: $Trait> $Guard<T> {
            pub(crate) fn new(inner: T) -> Self {
                $Guard {
                    inner: ::core::mem::ManuallyDrop::new(inner),
                }
            }

            $(#[$into_inner])*
            pub fn into_inner(self) -> T {
                let mut this = ::core::mem::ManuallyDrop::new(self);
                // SAFETY: `this` is never dropped, so the handle is taken out
                // exactly once and the guard's Drop never runs.
                unsafe { ::core::mem::ManuallyDrop::take(&mut this.inner) }
            }
        }

        impl<T: $Trait> ::core::ops::Deref for $Guard<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }

        impl<T: $Trait> ::core::ops::DerefMut for $Guard<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }

        impl<T: $Trait> Drop for $Guard<T> {
            fn drop(&mut self) {
                // Errors are ignored: someone else may have done it already.
                let _ = $Trait::$action(&*self.inner);
                // SAFETY: `self.inner` is dropped exactly once, here, and not
                // used after.
                unsafe { ::core::mem::ManuallyDrop::drop(&mut self.inner) };
            }
        }

        impl<T: $Trait + ::core::fmt::Debug> ::core::fmt::Debug for $Guard<T> {
            #[doc = concat!("`", stringify!($Guard), "(<the handle's Debug>)`.")]
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(stringify!($Guard)).field(&*self.inner).finish()
            }
        }
    };
}
