// The trader page: order entry, depth ladder, trade tape, price chart and the user's orders.
// Every value shown is set with textContent (never innerHTML), so symbols, ids, user names
// and details always show as text. The server validates every order again.
"use strict";

const TAPE_ROWS = 30;
const TRADES_KEPT = 200;
const FILLS_KEPT = 50;
const DONE_KEPT = 50;
const TERMINAL = new Set(["filled", "cancelled", "expired", "rejected"]);
const HISTORY_EVERY_MS = 1000;

const state = {
  symbol: "",
  user: "",
  depthSeq: -1,
  trades: new Map(),   // trade seq -> trade, of the current symbol
  open: new Map(),     // SYMBOL/ORDER_ID -> latest event or record of a resting order
  done: new Map(),     // SYMBOL/ORDER_ID -> final event or record
  fills: new Map(),    // trade id -> trade of the user
  stored: emptyStored(),  // the same three, as Cassandra last had them (GET /api/users/…/orders)
  stream: null,
  historyTimer: null,
  historyAt: 0,
};

const $ = (id) => document.getElementById(id);

function emptyStored() {
  return {open: new Map(), done: new Map(), fills: new Map()};
}
const form = $("order-form");

// -- DOM helpers --------------------------------------------------------------

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function row(values, className) {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const value of values) tr.append(value instanceof Node ? value : cell(value));
  return tr;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function timeOf(iso) {
  return typeof iso === "string" ? iso.slice(11, 23) : "";
}

// Milliseconds since the epoch; Cassandra's times come without a zone and are UTC.
function instant(iso) {
  if (typeof iso !== "string") return 0;
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`) || 0;
}

function notice(text) {
  const line = document.createElement("div");
  line.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $("notices").prepend(line);
  while ($("notices").childElementCount > 5) $("notices").lastElementChild.remove();
}

// -- HTTP ---------------------------------------------------------------------

async function getJSON(url) {
  const response = await fetch(url, {headers: {Accept: "application/json"}});
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function postOrder(message) {
  const response = await fetch("/api/orders", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(message),
  });
  return {status: response.status, body: await response.json()};
}

// -- depth ladder ---------------------------------------------------------------

function showDepth(snapshot) {
  if (!snapshot || snapshot.symbol !== state.symbol || snapshot.seq < state.depthSeq) return;
  state.depthSeq = snapshot.seq;
  const rows = [];
  for (const [price, qty] of [...snapshot.asks].reverse()) {
    rows.push(row(["", cell(price, "price ask"), cell(qty, "ask")], "ask-row"));
  }
  for (const [price, qty] of snapshot.bids) {
    rows.push(row([cell(qty, "bid"), cell(price, "price bid"), ""], "bid-row"));
  }
  $("ladder").replaceChildren(...rows);
  const bid = snapshot.best_bid, ask = snapshot.best_ask;
  const spread = bid && ask ? ` · spread ${(Number(ask[0]) - Number(bid[0])).toFixed(2)}` : "";
  $("depth-info").textContent = `as of ${timeOf(snapshot.ts)}${spread} · book seq ${snapshot.seq}`;
  $("ladder").dataset.ts = snapshot.ts;
}

// -- trade tape and chart ------------------------------------------------------

function addTrades(trades) {
  let changed = false;
  for (const trade of trades) {
    if (state.user && (trade.buy_user_id === state.user || trade.sell_user_id === state.user)) {
      state.fills.set(trade.trade_id, trade);
    }
    if (trade.symbol === state.symbol && !state.trades.has(trade.seq)) {
      state.trades.set(trade.seq, trade);
      changed = true;
    }
  }
  trimMap(state.fills, FILLS_KEPT);
  showFills();
  if (!changed) return;
  const seqs = [...state.trades.keys()].sort((a, b) => a - b).slice(-TRADES_KEPT);
  state.trades = new Map(seqs.map((seq) => [seq, state.trades.get(seq)]));
  showTape();
  drawChart();
}

function trimMap(map, kept) {
  for (const key of [...map.keys()].slice(0, Math.max(0, map.size - kept))) map.delete(key);
}

function sortedTrades() {
  return [...state.trades.values()].sort((a, b) => a.seq - b.seq);
}

function showTape() {
  const newest = sortedTrades().reverse().slice(0, TAPE_ROWS);
  $("tape").replaceChildren(...newest.map((t) => row([
    timeOf(t.ts), cell(t.price, `price ${t.aggressor_side}`), t.quantity, t.aggressor_side,
  ])));
  const last = newest[0];
  $("last-price").textContent = last ? `last ${last.price} × ${last.quantity}` : "";
}

function drawChart() {
  const canvas = $("chart");
  const ctx = canvas.getContext("2d");
  const prices = sortedTrades().map((t) => Number(t.price));
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (prices.length === 0) return;
  const low = Math.min(...prices), high = Math.max(...prices);
  const span = high - low || 1;
  const pad = 14;
  const x = (i) => pad + (i * (canvas.width - 2 * pad)) / Math.max(1, prices.length - 1);
  const y = (p) => canvas.height - pad - ((p - low) * (canvas.height - 2 * pad)) / span;
  ctx.strokeStyle = "#4fc3f7";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  prices.forEach((p, i) => (i === 0 ? ctx.moveTo(x(i), y(p)) : ctx.lineTo(x(i), y(p))));
  ctx.stroke();
  ctx.fillStyle = "#9aa5b1";
  ctx.font = "11px sans-serif";
  ctx.fillText(high.toFixed(2), 2, 11);
  ctx.fillText(low.toFixed(2), 2, canvas.height - 3);
}

// -- my orders -------------------------------------------------------------------

function orderKey(order) {
  return `${order.symbol}/${order.order_id}`;
}

function applyOrderEvent(event) {
  const key = orderKey(event);
  if (TERMINAL.has(event.event)) {
    state.open.delete(key);
    state.done.set(key, {...event, status: event.event});
    trimMap(state.done, DONE_KEPT);
    if (event.event === "rejected") notice(`order ${event.order_id} rejected: ${event.detail}`);
  } else {
    state.open.set(key, event);
  }
}

// Live events are never older than Cassandra's rows (the sink writes what the feed already
// showed), and a completed order never rests again: live wins, completed wins over open.
function mergedOrders() {
  const done = new Map([...state.stored.done, ...state.done]);
  const open = new Map();
  for (const [key, order] of [...state.stored.open, ...state.open]) {
    if (!done.has(key)) open.set(key, order);
  }
  return {open, done};
}

function showOrders() {
  const {open, done} = mergedOrders();
  $("open-orders").replaceChildren(...[...open.values()].map((o) => row([
    o.order_id, o.symbol, o.side, o.price, o.quantity, o.filled_quantity, o.remaining_quantity,
    orderActions(o),
  ])));
  const newest = [...done.values()]
    .sort((a, b) => instant(b.completed_at ?? b.ts) - instant(a.completed_at ?? a.ts))
    .slice(0, DONE_KEPT);
  $("done-orders").replaceChildren(...newest.map((o) => row([
    o.order_id, o.symbol, o.side, o.price, o.quantity, o.filled_quantity, o.status, o.detail,
  ])));
}

function showFills() {
  const newest = [...new Map([...state.stored.fills, ...state.fills]).values()]
    .sort((a, b) => instant(b.ts) - instant(a.ts))
    .slice(0, FILLS_KEPT);
  const fills = newest.map((t) => {
    const side = t.buy_user_id === state.user ? "buy" : "sell";
    return row([t.trade_id, t.symbol, side, t.price, t.quantity,
      side === "buy" ? t.buy_order_id : t.sell_order_id, timeOf(t.ts)]);
  });
  $("fills").replaceChildren(...fills);
}

function orderActions(order) {
  const td = document.createElement("td");
  td.className = "actions";
  const price = document.createElement("input");
  price.className = "amend-price";
  price.value = order.price ?? "";
  price.setAttribute("aria-label", "new price");
  const quantity = document.createElement("input");
  quantity.className = "amend-quantity";
  quantity.value = String(order.remaining_quantity ?? "");
  quantity.setAttribute("aria-label", "new open quantity");
  const error = document.createElement("span");
  error.className = "error";
  const base = {order_id: order.order_id, user_id: state.user, symbol: order.symbol};
  td.append(
    button("Cancel", () => sendAction({...base, action: "cancel"}, error)),
    price, quantity,
    button("Amend", () => sendAction({
      ...base, action: "amend", price: price.value.trim(), quantity: asInteger(quantity.value),
    }, error)),
    error,
  );
  return td;
}

// -- my orders from Cassandra ------------------------------------------------------

// At most one load a second: after the stream opens, then after the user's own events.
function scheduleHistory() {
  if (!state.user || state.historyTimer !== null) return;
  const wait = Math.max(0, state.historyAt + HISTORY_EVERY_MS - Date.now());
  state.historyTimer = setTimeout(() => {
    state.historyTimer = null;
    state.historyAt = Date.now();
    loadHistory();
  }, wait);
}

async function loadHistory() {
  const user = state.user;
  const found = await getJSON(`/api/users/${encodeURIComponent(user)}/orders`)
    .catch((error) => notice(`order records unavailable: ${error.message}`));
  if (!found || user !== state.user) return;
  const byOrder = (rows) => new Map(rows.map((o) => [orderKey(o), o]));
  state.stored = {
    open: byOrder(found.open_orders),
    done: byOrder(found.completed_orders),
    // ts_text is the trade's exact time as the live feed has it
    fills: new Map(found.fills.map((t) => [t.trade_id, {...t, ts: t.ts_text ?? t.ts}])),
  };
  showOrders();
  showFills();
}

async function sendAction(message, errorCell) {
  const {status, body} = await postOrder(message);
  errorCell.textContent = status === 202 ? "" : Object.values(body.errors || {}).join("; ");
  if (status === 202) notice(`${message.action} ${message.order_id} sent`);
}

// -- live stream -------------------------------------------------------------------

function connect() {
  if (state.stream) state.stream.close();
  const query = new URLSearchParams({symbol: state.symbol, user: state.user});
  const stream = new EventSource(`/api/stream?${query}`);
  state.stream = stream;
  const status = $("feed-status");
  stream.addEventListener("ready", () => {
    status.textContent = "live";
    status.dataset.state = "live";
    loadSymbol();  // after the stream is open, so nothing falls between the two
    scheduleHistory();
  });
  stream.addEventListener("depth", (e) => showDepth(JSON.parse(e.data)));
  stream.addEventListener("trades", (e) => addTrades(JSON.parse(e.data)));
  stream.addEventListener("orders", (e) => {
    JSON.parse(e.data).forEach(applyOrderEvent);
    showOrders();
    scheduleHistory();
  });
  stream.onerror = () => {
    status.textContent = "reconnecting";
    status.dataset.state = "down";
  };
}

async function loadSymbol() {
  const symbol = state.symbol;
  if (!symbol) return;
  const [depth, recent] = await Promise.all([
    getJSON(`/api/symbols/${encodeURIComponent(symbol)}/depth`),
    getJSON(`/api/symbols/${encodeURIComponent(symbol)}/trades?limit=${TRADES_KEPT}`),
  ]);
  if (symbol !== state.symbol) return;
  showDepth(depth);
  addTrades(recent ? recent.trades : []);
}

async function loadSymbols() {
  const found = await getJSON("/api/symbols").catch(() => null);
  const options = (found ? found.symbols : []).map((s) => {
    const option = document.createElement("option");
    option.value = s;
    return option;
  });
  $("symbol-list").replaceChildren(...options);
}

// -- form --------------------------------------------------------------------------

function asInteger(text) {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;  // else the engine says why
}

function formMessage() {
  const data = new FormData(form);
  const message = {
    action: "new",
    user_id: data.get("user_id"),
    symbol: data.get("symbol").trim(),
    side: data.get("side"),
    type: data.get("type"),
    quantity: asInteger(data.get("quantity")),
    tif: data.get("tif"),
  };
  if (message.type === "limit") message.price = data.get("price").trim();
  return message;
}

function showFieldErrors(errors) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    slot.textContent = errors[slot.dataset.errorFor] || "";
  }
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const message = formMessage();
  const {status, body} = await postOrder(message);
  showFieldErrors(status === 202 ? {} : body.errors || {message: body.error || "failed"});
  $("form-status").textContent = status === 202 ? `sent ${body.order_id}` : "not sent";
});

function follow() {
  const symbol = form.elements.symbol.value.trim().toUpperCase();
  const user = form.elements.user_id.value;
  if (symbol === state.symbol && user === state.user) return;
  if (symbol !== state.symbol) {
    state.symbol = symbol;
    state.depthSeq = -1;
    state.trades = new Map();
    $("ladder").replaceChildren();
    $("depth-info").textContent = "";
    showTape();
    drawChart();
  }
  if (user !== state.user) {
    state.user = user;
    state.open = new Map();
    state.done = new Map();
    state.fills = new Map();
    state.stored = emptyStored();
    showOrders();
    showFills();
  }
  $("symbol-title").textContent = state.symbol;
  $("user-title").textContent = state.user;
  connect();
}

form.elements.symbol.addEventListener("change", follow);
form.elements.user_id.addEventListener("change", follow);
form.elements.type.addEventListener("change", () => {
  form.elements.price.disabled = form.elements.type.value === "market";
});
follow();
loadSymbols();
setInterval(loadSymbols, 10000);
