package dev.medseg.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that only builds data: the opcodes {@code torch.save} emits for a state dict, and calls to a
 * short whitelist of constructors ({@code OrderedDict}, {@code _rebuild_tensor_v2}, {@code _rebuild_parameter}),
 * evaluated here in Java. Nothing in the file is ever executed; any other opcode or global is an error.
 * Tensors come out as {@link TensorRef}s that point into storages by key; no tensor data is read here.
 */
final class RestrictedUnpickler {

    /** A whitelisted Python callable or class, referenced by GLOBAL. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A Python tuple. */
    record Tuple(List<Object> items) {
    }

    /** A storage named by a persistent id: ('storage', torch.XStorage, key, location, numel). */
    record StorageRef(DType dtype, String key, long numel) {
    }

    /** A tensor view: {@code size}/{@code stride} in elements, starting at element {@code offset} of its storage. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16), Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));
    private static final Set<String> CALLABLES = Set.of(
            "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state");
    private static final Object MARK_ON_STACK = new Object();

    private final ByteBuffer in;
    private final String file;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private RestrictedUnpickler(byte[] pickle, String file) {
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
        this.file = file;
    }

    /** Runs the pickle in {@code bytes} and returns the object STOP leaves on the stack. */
    static Object load(byte[] bytes, String file) {
        return new RestrictedUnpickler(bytes, file).run();
    }

    private Object run() {
        while (true) {
            if (!in.hasRemaining()) {
                throw fail("pickle ends without STOP (truncated?)");
            }
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw fail("pickle protocol " + proto + " is not supported");
                    }
                }
                case 0x95 -> skip(8); // FRAME: a length hint only
                case '}' -> push(new LinkedHashMap<Object, Object>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<Object>()); // EMPTY_LIST
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case '(' -> marks.add(stack.size()); // MARK
                case 't' -> push(new Tuple(popToMark())); // TUPLE
                case 0x85 -> push(new Tuple(List.of(pop()))); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop();
                    Object a = pop();
                    push(new Tuple(List.of(a, b)));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(new Tuple(List.of(a, b, c)));
                }
                case 'q' -> memo.put((long) u8(), peekTop()); // BINPUT
                case 'r' -> memo.put(u32(), peekTop()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peekTop()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(u32())); // LONG_BINGET
                case 'X' -> push(utf8(u32())); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(in.remaining() >= 8 ? in.getLong() : -1)); // BINUNICODE8
                case 'J' -> push((long) i32()); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) u16()); // BININT2
                case 0x8a -> push(long1()); // LONG1
                case 'G' -> push(need(8).order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT is big-endian
                case 'N' -> push(null); // NONE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(call(callable, args));
                }
                case 'b' -> build(pop(), peekTop()); // BUILD
                case 'Q' -> push(persistent(pop())); // BINPERSID
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    dict(peekTop()).put(key(k), v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> kv = popToMark();
                    if (kv.size() % 2 != 0) {
                        throw fail("SETITEMS with an odd number of items");
                    }
                    Map<Object, Object> d = dict(peekTop());
                    for (int k = 0; k < kv.size(); k += 2) {
                        d.put(key(kv.get(k)), kv.get(k + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peekTop()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> vs = popToMark();
                    list(peekTop()).addAll(vs);
                }
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("STOP with " + stack.size() + " objects on the stack");
                    }
                    return stack.get(0);
                }
                default -> throw new CheckpointFormatException(file, String.format(
                        "unsupported pickle opcode 0x%02x%s at byte %d (only state-dict opcodes are allowed)",
                        op, op >= 0x20 && op < 0x7f ? " '" + (char) op + "'" : "", at));
            }
        }
    }

    private Object global(String module, String name) {
        String q = module + "." + name;
        if (module.equals("torch") && STORAGES.containsKey(name) || CALLABLES.contains(q)) {
            return new Global(module, name);
        }
        throw new CheckpointFormatException(file, "unsupported pickle global " + q
                + " (only OrderedDict, torch tensor rebuilders and storage types are allowed)");
    }

    private Object call(Object callable, Object argsObj) {
        if (!(callable instanceof Global g) || !CALLABLES.contains(g.qualified())) {
            throw fail("unsupported pickle call of " + describe(callable));
        }
        if (!(argsObj instanceof Tuple t)) {
            throw fail("REDUCE arguments are not a tuple");
        }
        List<Object> a = t.items();
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (!a.isEmpty()) {
                    throw fail("OrderedDict called with arguments");
                }
                return new LinkedHashMap<Object, Object>();
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a.size() < 4 || a.size() > 7 || !(a.get(0) instanceof StorageRef s) || !(a.get(1) instanceof Long off)) {
                    throw fail("_rebuild_tensor_v2 with unexpected arguments");
                }
                long[] size = ints(a.get(2), "size");
                long[] stride = ints(a.get(3), "stride");
                if (size.length != stride.length) {
                    throw fail("tensor size and stride differ in rank");
                }
                return new TensorRef(s, off, size, stride);
            }
            default -> { // _rebuild_parameter(data, requires_grad, hooks[, state]): a Parameter is its data here
                if (a.isEmpty() || !(a.get(0) instanceof TensorRef r)) {
                    throw fail(g.name() + " without a tensor");
                }
                return r;
            }
        }
    }

    /** BUILD sets object state; the only state a state dict carries is OrderedDict's {@code _metadata}, ignored here. */
    private void build(Object state, Object target) {
        if (!(target instanceof Map) || !(state == null || state instanceof Map || state instanceof Tuple)) {
            throw fail("unsupported BUILD of " + describe(target));
        }
    }

    private StorageRef persistent(Object pid) {
        if (!(pid instanceof Tuple t) || t.items().size() != 5 || !"storage".equals(t.items().get(0))
                || !(t.items().get(1) instanceof Global g) || !STORAGES.containsKey(g.name())
                || !(t.items().get(2) instanceof String key) || !(t.items().get(4) instanceof Long numel) || numel < 0) {
            throw fail("unsupported persistent id (expected ('storage', torch.XStorage, key, location, numel))");
        }
        return new StorageRef(STORAGES.get(g.name()), key, numel);
    }

    private long[] ints(Object o, String what) {
        if (!(o instanceof Tuple t) || t.items().size() > Shapes.MAX_RANK) {
            throw fail("tensor " + what + " is not a tuple of at most " + Shapes.MAX_RANK + " integers");
        }
        long[] out = new long[t.items().size()];
        for (int k = 0; k < out.length; k++) {
            if (!(t.items().get(k) instanceof Long v) || v < 0) {
                throw fail("tensor " + what + " holds " + describe(t.items().get(k)) + ", not a non-negative integer");
            }
            out[k] = v;
        }
        return out;
    }

    /** Dict keys are kept to strings and integers: hashing anything deeper could recurse without bound. */
    private Object key(Object k) {
        if (k instanceof String || k instanceof Long) {
            return k;
        }
        throw fail("unsupported dict key " + describe(k));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (!(o instanceof Map)) {
            throw fail("SETITEM on " + describe(o));
        }
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (!(o instanceof List)) {
            throw fail("APPEND on " + describe(o));
        }
        return (List<Object>) o;
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw fail("pickle stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peekTop() {
        if (stack.isEmpty()) {
            throw fail("pickle stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popToMark() {
        if (marks.isEmpty()) {
            throw fail("no MARK on the pickle stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> top = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return top;
    }

    private Object memoGet(long idx) {
        if (!memo.containsKey(idx)) {
            throw fail("pickle memo has no entry " + idx);
        }
        return memo.get(idx);
    }

    private ByteBuffer need(int n) {
        if (in.remaining() < n) {
            throw fail("pickle truncated: " + n + " bytes needed, " + in.remaining() + " left");
        }
        ByteBuffer slice = in.slice().limit(n).order(ByteOrder.LITTLE_ENDIAN);
        in.position(in.position() + n);
        return slice;
    }

    private void skip(int n) {
        need(n);
    }

    private int u8() {
        return need(1).get() & 0xff;
    }

    private int u16() {
        return need(2).getShort() & 0xffff;
    }

    private int i32() {
        return need(4).getInt();
    }

    private long u32() {
        return i32() & 0xffffffffL;
    }

    private long long1() {
        int n = u8();
        if (n > 8) {
            throw fail("integer of " + n + " bytes does not fit 64 bits");
        }
        ByteBuffer b = need(n);
        long v = 0;
        for (int k = 0; k < n; k++) {
            v |= (b.get(k) & 0xffL) << (8 * k);
        }
        if (n > 0 && n < 8 && (b.get(n - 1) & 0x80) != 0) {
            v |= -1L << (8 * n); // sign-extend two's complement
        }
        return v;
    }

    private String utf8(long len) {
        if (len < 0 || len > in.remaining()) {
            throw fail("pickle truncated: a string of " + len + " bytes exceeds the " + in.remaining() + " bytes left");
        }
        ByteBuffer b = need((int) len);
        byte[] bytes = new byte[(int) len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A newline-terminated ASCII line, as GLOBAL uses; bounded so a missing newline cannot run far. */
    private String line() {
        StringBuilder b = new StringBuilder();
        while (true) {
            if (!in.hasRemaining() || b.length() > 256) {
                throw fail("GLOBAL name not terminated");
            }
            char c = (char) (in.get() & 0xff);
            if (c == '\n') {
                return b.toString();
            }
            b.append(c);
        }
    }

    private static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Global g) {
            return g.qualified();
        }
        if (o instanceof String s) {
            return "'" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "'";
        }
        return o instanceof Long || o instanceof Boolean || o instanceof Double ? o.toString() : o.getClass().getSimpleName();
    }

    private CheckpointFormatException fail(String problem) {
        return new CheckpointFormatException(file, problem + " (data.pkl byte " + in.position() + ")");
    }
}
