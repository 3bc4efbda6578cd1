/*
 * pyengine_adapter.cpp: the matching-engine-benchmark C ABI (api/matching_engine_api.h of
 * flash1-dev/matching-engine-benchmark) over any pure-Python engine driver.
 *
 * One adapter for every Python engine, so two engines are compared through the very same
 * embedding cost: CPython is embedded once, ME_DRIVER_MODULE is imported from ME_SYS_PATH
 * (colon-separated, baked in at build time) and its Driver() instance is called once per
 * message. Each call returns a list of report tuples whose first item is the
 * me_report_type_t:
 *   (0, seq, side, order_id, price, qty)          OrderAck
 *   (1, seq, price, qty, maker_id, taker_id)      Trade
 *   (2, seq, side, order_id, price)               CancelAck (a cancel or an IOC remainder)
 *   (3, seq, side, order_id, price, qty)          ModifyAck
 *   (4, seq, order_id) / (5, seq, order_id)       CancelReject / ModifyReject
 * The harness calls every entry point from one thread, so the GIL is simply kept.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "matching_engine_api.h"

#include <dlfcn.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

namespace {

const me_transport_t* transport = nullptr;
void* sink = nullptr;
PyObject* on_new = nullptr;
PyObject* on_cancel = nullptr;
PyObject* on_modify = nullptr;
PyObject* best_bid = nullptr;
PyObject* best_ask = nullptr;
PyObject* depth_at = nullptr;

[[noreturn]] void fail(const char* what) {
    if (PyErr_Occurred()) PyErr_Print();
    std::fprintf(stderr, "pyengine_adapter: %s failed\n", what);
    std::abort();
}

uint64_t u64(PyObject* t, Py_ssize_t i) { return PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, i)); }
int64_t i64(PyObject* t, Py_ssize_t i) { return PyLong_AsLongLong(PyTuple_GET_ITEM(t, i)); }

void push(const me_report_t& report) {
    while (!transport->push(sink, &report)) {
    }
}

/* Turn one driver call's list of report tuples into reports; steals `reports`. */
void emit(PyObject* reports) {
    if (!reports) fail("driver call");
    Py_ssize_t n = PyList_GET_SIZE(reports);
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* t = PyList_GET_ITEM(reports, i);
        me_report_t r{};
        r.type = static_cast<uint8_t>(u64(t, 0));
        r.sequence_number = u64(t, 1);
        switch (r.type) {
            case ME_ORDER_ACK:
            case ME_MODIFY_ACK:
                r.quantity = static_cast<uint32_t>(u64(t, 5));
                [[fallthrough]];
            case ME_CANCEL_ACK:
                r.side = static_cast<uint8_t>(u64(t, 2));
                r.order_id = u64(t, 3);
                r.price_ticks = i64(t, 4);
                break;
            case ME_TRADE:
                r.price_ticks = i64(t, 2);
                r.quantity = static_cast<uint32_t>(u64(t, 3));
                r.maker_order_id = u64(t, 4);
                r.taker_order_id = u64(t, 5);
                break;
            default:  // rejects
                r.order_id = u64(t, 2);
        }
        push(r);
    }
    if (PyErr_Occurred()) fail("report conversion");
    Py_DECREF(reports);
}

/* Call `method` with integer arguments through vectorcall (no argument tuple). */
template <size_t N>
PyObject* call(PyObject* method, const int64_t (&values)[N]) {
    PyObject* args[N];
    for (size_t i = 0; i < N; ++i) args[i] = PyLong_FromLongLong(values[i]);
    PyObject* result = PyObject_Vectorcall(method, args, N, nullptr);
    for (size_t i = 0; i < N; ++i) Py_DECREF(args[i]);
    return result;
}

PyObject* bind(PyObject* driver, const char* name) {
    PyObject* method = PyObject_GetAttrString(driver, name);
    if (!method) fail(name);
    return method;
}

}  // namespace

extern "C" {

void engine_init(uint64_t, const me_transport_t* t, void* s) {
    transport = t;
    sink = s;
    // The harness dlopens us RTLD_LOCAL: make libpython's symbols global so that C
    // extension modules (_decimal, ...) loaded later resolve them.
    if (!dlopen(ME_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) {
        dlopen(ME_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL);
    }
    if (!Py_IsInitialized()) Py_InitializeEx(0);
    PyObject* path = PySys_GetObject("path");
    std::stringstream dirs(ME_SYS_PATH);
    std::string dir;
    Py_ssize_t at = 0;
    while (std::getline(dirs, dir, ':')) {
        PyObject* item = PyUnicode_FromString(dir.c_str());
        PyList_Insert(path, at++, item);
        Py_DECREF(item);
    }
    PyObject* module = PyImport_ImportModule(ME_DRIVER_MODULE);
    if (!module) fail("import " ME_DRIVER_MODULE);
    PyObject* cls = PyObject_GetAttrString(module, "Driver");
    if (!cls) fail("Driver");
    PyObject* driver = PyObject_CallNoArgs(cls);
    if (!driver) fail("Driver()");
    on_new = bind(driver, "on_new");
    on_cancel = bind(driver, "on_cancel");
    on_modify = bind(driver, "on_modify");
    best_bid = bind(driver, "best_bid");
    best_ask = bind(driver, "best_ask");
    depth_at = bind(driver, "depth_at");
}

void engine_shutdown(void) {}

void engine_on_new_order(const new_order_t* o) {
    emit(call(on_new, {static_cast<int64_t>(o->order_id),
                       static_cast<int64_t>(o->sequence_number), o->price_ticks,
                       static_cast<int64_t>(o->quantity), o->side, o->ioc}));
}

void engine_on_cancel(const cancel_t* c) {
    emit(call(on_cancel, {static_cast<int64_t>(c->order_id),
                          static_cast<int64_t>(c->sequence_number)}));
}

void engine_on_modify(const modify_t* m) {
    emit(call(on_modify, {static_cast<int64_t>(m->order_id),
                          static_cast<int64_t>(m->sequence_number), m->new_price_ticks,
                          static_cast<int64_t>(m->new_quantity), m->side}));
}

void engine_flush(void) {}

static int64_t price_or(PyObject* method, int64_t none) {
    PyObject* price = PyObject_CallNoArgs(method);
    if (!price) fail("best price");
    int64_t value = price == Py_None ? none : PyLong_AsLongLong(price);
    Py_DECREF(price);
    return value;
}

int64_t engine_query_best_bid(void) { return price_or(best_bid, std::numeric_limits<int64_t>::min()); }

int64_t engine_query_best_ask(void) { return price_or(best_ask, std::numeric_limits<int64_t>::max()); }

uint64_t engine_query_depth_at(int64_t price, uint8_t side) {
    PyObject* depth = call(depth_at, {price, static_cast<int64_t>(side)});
    if (!depth) fail("depth_at");
    uint64_t value = PyLong_AsUnsignedLongLong(depth);
    Py_DECREF(depth);
    return value;
}

}  // extern "C"
