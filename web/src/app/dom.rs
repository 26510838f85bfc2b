//! DOM writes that leave an element alone when it already shows the value.
//!
//! The texts refresh four times a second, and most of them (the component
//! list, the readouts, the controls' values) change once a simulated second:
//! writing `textContent` replaces the text node even when it is the same, and
//! the browser lays the element out again in that frame.

use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

/// Sets the element's text unless it is already `text`.
pub(super) fn set_text(el: &Element, text: &str) {
    if el.text_content().as_deref() != Some(text) {
        el.set_text_content(Some(text));
    }
}

/// Sets an input's value unless it is already `value`.
pub(super) fn set_input(el: &HtmlInputElement, value: &str) {
    if el.value() != value {
        el.set_value(value);
    }
}

/// Selects `value` in a menu unless it is already selected.
pub(super) fn set_select(el: &HtmlSelectElement, value: &str) {
    if el.value() != value {
        el.set_value(value);
    }
}
