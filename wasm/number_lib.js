/*
 * number_lib.js — the JS import behind wasm/strtod.c: the host's decimal-to-double
 * conversion (parseFloat, correctly rounded); an Emscripten --js-library (wasm/ layer).
 */
mergeInto(LibraryManager.library, {
  /* The double nearest the decimal number in the len ASCII bytes at ptr (C's strtod form,
   * already validated by the caller). */
  hub_js_parse_float: function (ptr, len) {
    var s = '';
    for (var i = 0; i < len; i++) s += String.fromCharCode(HEAPU8[ptr + i]);
    return parseFloat(s);
  },
});
