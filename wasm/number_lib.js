/*
 * number_lib.js — the JS imports behind wasm/strtod.c and wasm/printf.c: the host's exact
 * conversions between decimal text and doubles; an Emscripten --js-library (wasm/ layer).
 */
mergeInto(LibraryManager.library, {
  /* The double nearest the decimal number in the len ASCII bytes at ptr (C's strtod form,
   * already validated by the caller). */
  hub_js_parse_float: function (ptr, len) {
    var s = '';
    for (var i = 0; i < len; i++) s += String.fromCharCode(HEAPU8[ptr + i]);
    return parseFloat(s);
  },

  /* Writes at most cap bytes of the ASCII text s at out; returns how many. */
  $hub_write_text: function (s, out, cap) {
    var n = Math.min(s.length, cap);
    for (var i = 0; i < n; i++) HEAPU8[out + i] = s.charCodeAt(i);
    return n;
  },

  hub_js_format_double__deps: ['$hub_write_text'],
  /* C's %e, %f or %g (conv: the lower-case letter's code) of v (finite, >= 0) with precision
   * prec (%g: at least 1) and the '#' flag alt: the exact decimal value of the double, rounded
   * half to even, as the C library prints it. Writes at most cap bytes at out (no NUL);
   * returns how many. */
  hub_js_format_double: function (v, conv, prec, alt, out, cap) {
    var s;
    if (conv !== 102 && prec <= 17 && !Number.isInteger(v * 1073741824)) {
      // The host's correctly rounded digits, without the exact expansion: they differ from
      // C's only on a tie (the exact value ends in a 5 just past the last digit kept: JS
      // rounds it up, C to even). A double m·2^q (m odd) has as many significant digits as
      // m·5^-q, at least 0.69·(-q) of them; not a multiple of 2^-30 means q < -30, so over
      // 21 digits, and %e / %g keep at most 18 here: no tie, the same text.
      var t = v.toExponential(conv === 101 ? prec : prec - 1), at = t.indexOf('e');
      var x = Number(t.slice(at + 1)), ax = x < 0 ? -x : x;
      var tail = 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' : '') + ax;
      if (conv === 101) s = t.slice(0, at) + (alt && prec === 0 ? '.' : '') + tail;
      else {
        var digits = t.charAt(0) + t.slice(2, at), mant;  // prec of them
        if (x >= -4 && x < prec) {
          var ip = x >= 0 ? digits.slice(0, x + 1) : '0';
          var fp = x >= 0 ? digits.slice(x + 1) : '0'.repeat(-x - 1) + digits;
          mant = ip + (fp !== '' || alt ? '.' + fp : '');
          tail = '';
        } else mant = digits.charAt(0) + (prec > 1 || alt ? '.' + digits.slice(1) : '');
        if (!alt && mant.indexOf('.') >= 0) {
          var end = mant.length;
          while (mant.charCodeAt(end - 1) === 48) end--;
          if (mant.charCodeAt(end - 1) === 46) end--;
          mant = mant.slice(0, end);
        }
        s = mant + tail;
      }
      return hub_write_text(s, out, cap);
    }
    // exact digits: v = 0.D × 10^point (D without leading zeros), or D = '' for zero
    var D = '', point = 0;
    if (v !== 0) {  // v = m·2^q
      var dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v);
      var hi = dv.getUint32(0), lo = dv.getUint32(4), ex = (hi >>> 20) & 0x7ff, q;
      var m = (BigInt(hi & 0xfffff) << BigInt(32)) | BigInt(lo);
      if (ex === 0) q = -1074; else { m |= BigInt(1) << BigInt(52); q = ex - 1075; }
      if (q >= 0) { D = (m << BigInt(q)).toString(); point = D.length; }
      else { D = (m * BigInt(5) ** BigInt(-q)).toString(); point = D.length + q; }
      D = D.replace(/0+$/, '');
    }
    // the first k (>= 0) digits of D rounded half to even: [digits (length k, or '1' when a
    // carry reaches past the first digit and k is 0), the point after rounding]
    function round(k) {
      if (k >= D.length) return [D.padEnd(k, '0'), point];
      var head = D.slice(0, k), c = D.charCodeAt(k) - 48;
      var up = c > 5 || (c === 5 && (D.length > k + 1 || (k > 0 && (D.charCodeAt(k - 1) - 48) % 2 === 1)));
      if (!up) return [head, point];
      var d = head.split(''), i = k - 1;
      while (i >= 0 && d[i] === '9') d[i--] = '0';
      if (i >= 0) { d[i] = String.fromCharCode(d[i].charCodeAt(0) + 1); return [d.join(''), point]; }
      return [('1' + d.join('')).slice(0, Math.max(k, 1)), point + 1];
    }
    function fixed(p) {
      var k = point + p, ip = '0', fp = '';
      if (D !== '' && k >= 0) {
        var r = round(k), d = r[0], pt = r[1];
        if (d !== '') {
          if (pt > 0) { var all = d.padEnd(pt + p, '0'); ip = all.slice(0, pt); fp = all.slice(pt); }
          else fp = '0'.repeat(-pt) + d;
        }
      }
      fp = fp.padEnd(p, '0').slice(0, p);
      return ip + (p > 0 || alt ? '.' + fp : '');
    }
    function expo(p) {
      var d = '0'.repeat(p + 1), x = 0;
      if (D !== '') { var r = round(p + 1); d = r[0]; x = r[1] - 1; }
      var ax = Math.abs(x);
      return d.charAt(0) + (p > 0 || alt ? '.' + d.slice(1) : '') + 'e' + (x < 0 ? '-' : '+') + (ax < 10 ? '0' : '') + ax;
    }
    if (conv === 101) s = expo(prec);
    else if (conv === 102) s = fixed(prec);
    else {
      var x = D === '' ? 0 : round(prec)[1] - 1;  // the exponent %e would print
      if (x >= -4 && x < prec) s = fixed(prec - 1 - x); else s = expo(prec - 1);
      if (!alt) {
        var e = s.indexOf('e'), mant = e < 0 ? s : s.slice(0, e), tail = e < 0 ? '' : s.slice(e);
        if (mant.indexOf('.') >= 0) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
        s = mant + tail;
      }
    }
    return hub_write_text(s, out, cap);
  },
});
