/* symcnn "try other sizes" panel.
 *
 * A page loads this file, then its own generated script, which calls
 * SymcnnPanel.register(data, build). `data` is plain JSON (symbol names, layer names,
 * constraint texts); `build(Q)` returns the model's closed forms as functions of the
 * sizes `s`, printed by symcnn's JavaScript printer from symcnn's own expressions.
 * Q is exact arithmetic: BigInt integers and BigInt fractions, floors exact for every
 * sign. Names are only ever shown with textContent. No network, no eval.
 */
(function () {
  "use strict";

  // ---- exact arithmetic: a value is a BigInt, or {n, d} with d > 1 and gcd(n, d) = 1 ----------
  const Q = (function () {
    const isInt = (x) => typeof x === "bigint";
    const abs = (a) => (a < 0n ? -a : a);
    function gcd(a, b) {
      a = abs(a);
      b = abs(b);
      while (b) {
        const t = a % b;
        a = b;
        b = t;
      }
      return a;
    }
    function frac(n, d) {
      if (d === 0n) throw new RangeError("a division by zero");
      if (d < 0n) {
        n = -n;
        d = -d;
      }
      const g = gcd(n, d) || 1n;
      n /= g;
      d /= g;
      return d === 1n ? n : { n: n, d: d };
    }
    const num = (x) => (isInt(x) ? x : x.n);
    const den = (x) => (isInt(x) ? 1n : x.d);
    function floorDiv(n, d) { // d > 0
      const q = n / d; // BigInt division truncates toward zero
      return n % d !== 0n && n < 0n ? q - 1n : q;
    }
    function add() {
      let n = 0n, d = 1n;
      for (const x of arguments) {
        n = n * den(x) + num(x) * d;
        d = d * den(x);
      }
      return frac(n, d);
    }
    function mul() {
      let n = 1n, d = 1n;
      for (const x of arguments) {
        n *= num(x);
        d *= den(x);
      }
      return frac(n, d);
    }
    function pow(x, k) {
      const e = BigInt(Math.abs(k));
      return k >= 0 ? frac(num(x) ** e, den(x) ** e) : frac(den(x) ** e, num(x) ** e);
    }
    const floor = (x) => (isInt(x) ? x : floorDiv(x.n, x.d));
    const ceil = (x) => (isInt(x) ? x : -floorDiv(-x.n, x.d));
    function cmp(a, b) {
      const v = num(a) * den(b) - num(b) * den(a);
      return v > 0n ? 1 : v < 0n ? -1 : 0;
    }
    function max() {
      return Array.prototype.reduce.call(arguments, (a, b) => (cmp(a, b) >= 0 ? a : b));
    }
    function min() {
      return Array.prototype.reduce.call(arguments, (a, b) => (cmp(a, b) <= 0 ? a : b));
    }
    const mod = (a, b) => add(a, mul(-1n, b, floor(mul(a, pow(b, -1))))); // SymPy's Mod: a - b*floor(a/b)
    function pw() {
      for (const [condition, value] of arguments) if (condition) return value();
      throw new RangeError("no case of a piecewise formula applies");
    }
    return {
      r: frac, add: add, mul: mul, pow: pow, floor: floor, ceil: ceil, max: max, min: min, mod: mod, pw: pw,
      ge: (a, b) => cmp(a, b) >= 0, gt: (a, b) => cmp(a, b) > 0, le: (a, b) => cmp(a, b) <= 0,
      lt: (a, b) => cmp(a, b) < 0, eq: (a, b) => cmp(a, b) === 0, ne: (a, b) => cmp(a, b) !== 0,
      isInt: isInt,
      text: (x) => (isInt(x) ? x.toString() : x.n.toString() + "/" + x.d.toString()),
    };
  })();

  const MAX_DIGITS = 12;

  function grouped(x) {
    if (x === null || x === undefined) return "unknown";
    if (!Q.isInt(x)) return Q.text(x);
    const digits = (x < 0n ? -x : x).toString();
    const parts = [];
    for (let end = digits.length; end > 0; end -= 3) parts.unshift(digits.slice(Math.max(0, end - 3), end));
    return (x < 0n ? "−" : "") + parts.join(",");
  }

  function shapeText(dims) {
    return "(" + dims.map((d) => (d === null ? "None" : Q.text(d))).join(", ") + ")";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- reading the sizes the reader typed ----------------------------------------------------------
  function readSizes(data, inputs) {
    const s = Object.create(null);
    const problems = [];
    data.symbols.forEach((symbol, i) => {
      const text = inputs[i].value.trim();
      let problem = "";
      if (!/^[0-9]+$/.test(text)) problem = symbol.name + " must be a positive whole number, got " + JSON.stringify(text);
      else if (text.replace(/^0+/, "").length > MAX_DIGITS) problem = symbol.name + " has more than " + MAX_DIGITS + " digits";
      else if (BigInt(text) < 1n) problem = symbol.name + " must be at least 1, got " + text;
      inputs[i].setAttribute("aria-invalid", problem ? "true" : "false");
      if (problem) problems.push(problem);
      else s[symbol.name] = BigInt(text);
    });
    return { s: s, problems: problems };
  }

  function evaluate(f, s) {
    if (f === null) return null;
    return f(s);
  }

  // ---- one panel ----------------------------------------------------------------------------------------
  function build(root, data, code) {
    root.textContent = "";
    const form = el("form", "symcnn-panel-sizes");
    form.setAttribute("aria-label", "Sizes");
    form.addEventListener("submit", (event) => event.preventDefault());
    const inputs = data.symbols.map((symbol) => {
      const label = el("label", "symcnn-panel-size");
      const name = el("span", "symcnn-panel-name", symbol.name);
      const input = el("input");
      input.type = "text";
      input.inputMode = "numeric";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.value = symbol.start;
      input.size = 6;
      input.dataset.symbol = symbol.name;
      label.append(name, input);
      if (symbol.label) label.title = symbol.label;
      form.append(label);
      return input;
    });
    const reset = el("button", "symcnn-panel-reset", "Back to the page's sizes");
    reset.type = "button";
    reset.addEventListener("click", () => {
      inputs.forEach((input, i) => { input.value = data.symbols[i].start; });
      update();
    });
    form.append(reset);

    const status = el("p", "symcnn-panel-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    const table = el("table", "symcnn-panel-table");
    const head = el("thead");
    const headRow = el("tr");
    const columns = [["layer", "Layer (type)"], ["shape", "Output shape"], ["params", "Param #"]];
    if (data.macs) columns.push(["macs", "MACs (torchinfo)"]);
    if (data.activations) columns.push(["activations", "Activations"]);
    columns.forEach(([key, title]) => headRow.append(el("th", "symcnn-col-" + key, title)));
    head.append(headRow);
    const body = el("tbody");
    const rows = data.layers.map((layer) => {
      const tr = el("tr");
      const cells = {};
      columns.forEach(([key, title]) => {
        const td = el("td", "symcnn-col-" + key);
        td.dataset.label = title;
        cells[key] = td;
        tr.append(td);
      });
      const number = layer.number ? layer.number + ". " : "";
      cells.layer.textContent = number + layer.name + " (" + layer.type + ")";
      body.append(tr);
      return { tr: tr, cells: cells };
    });
    const foot = el("tfoot");
    const total = el("tr", "symcnn-panel-total");
    const totalCells = {};
    columns.forEach(([key, title]) => {
      const td = el(key === "layer" ? "th" : "td", "symcnn-col-" + key);
      td.dataset.label = title;
      totalCells[key] = td;
      total.append(td);
    });
    totalCells.layer.textContent = "Total";
    foot.append(total);
    table.append(head, body, foot);

    const wrap = el("div", "symcnn-panel-rows");
    if (data.layers.length > 40) {
      const details = el("details");
      details.append(el("summary", "", "Every layer (" + data.layers.length + ")"));
      details.append(table);
      wrap.append(details);
    } else {
      wrap.append(table);
    }
    const totals = el("p", "symcnn-panel-totals");
    root.append(form, status, totals, wrap);

    function clear(from) {
      for (let i = from; i < rows.length; i++) {
        columns.forEach(([key]) => { if (key !== "layer") rows[i].cells[key].textContent = "—"; });
        rows[i].tr.classList.remove("symcnn-bad");
      }
      columns.forEach(([key]) => { if (key !== "layer") totalCells[key].textContent = "—"; });
    }

    function update() {
      root.classList.remove("symcnn-invalid");
      const read = readSizes(data, inputs);
      if (read.problems.length) {
        status.textContent = read.problems.join("; ") + ".";
        root.classList.add("symcnn-invalid");
        totals.textContent = "";
        clear(0);
        return;
      }
      const s = read.s;
      const failing = [];
      code.constraints.forEach((test, i) => {
        let ok;
        try { ok = test(s); } catch (error) { ok = false; }
        if (!ok) failing.push(data.constraints[i]);
      });
      let bad = -1;
      let badText = "";
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        const layer = code.layers[i];
        row.tr.classList.remove("symcnn-bad");
        let dims;
        try {
          dims = evaluate(layer.shape, s);
        } catch (error) {
          bad = i;
          badText = "its formulas cannot be evaluated at these sizes (" + error.message + ")";
          break;
        }
        const small = dims.some((d) => d !== null && Q.lt(d, 1n));
        const partial = dims.some((d) => d !== null && !Q.isInt(d));
        row.cells.shape.textContent = shapeText(dims);
        if (small || partial) {
          bad = i;
          badText = partial ? "its output shape " + shapeText(dims) + " is not whole numbers"
            : "the input is too small: the output shape would be " + shapeText(dims);
          break;
        }
        const fill = (key, f) => {
          if (!row.cells[key]) return;
          const value = evaluate(f, s);
          row.cells[key].textContent = grouped(value);
        };
        fill("params", layer.params);
        fill("macs", layer.macs);
        fill("activations", layer.activations);
      }
      if (bad >= 0 || failing.length) {
        const parts = failing.map((c) => c.text + " is needed (from layer " + c.layer + ")");
        if (bad >= 0) {
          rows[bad].tr.classList.add("symcnn-bad");
          parts.push("at layer " + data.layers[bad].name + ", " + badText);
          clear(bad + 1);
          columns.forEach(([key]) => { if (key !== "layer" && key !== "shape") rows[bad].cells[key].textContent = "—"; });
        } else {
          clear(rows.length);
        }
        status.textContent = "These sizes do not make a valid model: " + parts.join("; ") + ".";
        root.classList.add("symcnn-invalid");
        totals.textContent = "";
        return;
      }
      const t = code.totals;
      const parts = ["Total params: " + grouped(evaluate(t.params, s))];
      if (t.frozen !== null && evaluate(t.frozen, s) !== 0n) {
        parts.push("trainable " + grouped(evaluate(t.trainable, s)), "non-trainable " + grouped(evaluate(t.frozen, s)));
      }
      if (data.macs && t.macs !== null) parts.push("MACs (torchinfo): " + grouped(evaluate(t.macs, s)));
      totals.textContent = parts.join(" · ");
      totalCells.params.textContent = grouped(evaluate(t.params, s));
      if (totalCells.macs) totalCells.macs.textContent = t.macs === null ? "unknown" : grouped(evaluate(t.macs, s));
      if (totalCells.activations) totalCells.activations.textContent = grouped(evaluate(t.activations, s));
      totalCells.shape.textContent = "";
      status.textContent = "Sizes: " + data.symbols.map((sym) => sym.name + " = " + s[sym.name].toString()).join(", ") + ".";
    }

    inputs.forEach((input) => input.addEventListener("input", update));
    root.classList.add("symcnn-panel-ready");
    update();
  }

  const registered = [];
  const SCRIPT = /^[a-z0-9][a-z0-9-]*-panel\.js$/; // the page's own formulas, written beside it by symcnn

  function load() {
    document.querySelectorAll(".symcnn-panel[data-symcnn-script]").forEach((root) => {
      const file = root.dataset.symcnnScript;
      if (!SCRIPT.test(file) || root.dataset.symcnnLoading) return;
      root.dataset.symcnnLoading = "1";
      const script = document.createElement("script");
      script.src = file;
      script.addEventListener("error", () => {
        root.textContent = "The panel's formulas (" + file + ") could not be loaded.";
      });
      document.head.append(script);
    });
  }

  function start() {
    registered.forEach(({ data, code }) => {
      document.querySelectorAll(".symcnn-panel").forEach((root) => {
        if (root.dataset.symcnnPanel === data.id && !root.classList.contains("symcnn-panel-ready")) build(root, data, code);
      });
    });
  }

  function register(data, make) {
    registered.push({ data: data, code: make(Q) });
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  window.SymcnnPanel = { register: register, Q: Q };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", load);
  else load();
})();
