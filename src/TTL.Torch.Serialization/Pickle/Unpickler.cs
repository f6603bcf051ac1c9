using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace TTL.Torch.Serialization.Pickle;

/// <summary>
/// What a pickle may touch outside itself. The unpickler only moves data around; every global it
/// meets, every call (REDUCE, NEWOBJ, INST, OBJ), every persistent id and every BUILD goes through
/// the host, which refuses anything it does not know. Nothing is imported or executed.
/// </summary>
public interface IPickleHost
{
    /// <summary>Returns the allowed global or throws InvalidDataException naming it.</summary>
    PyGlobal ResolveGlobal(string module, string name);

    object? Call(PyGlobal callable, PyTuple args);

    object? PersistentLoad(object? pid);

    void Build(object? target, object? state);
}

/// <summary>
/// A pickle virtual machine for protocols 0–5 (torch.save writes protocol 2). It reads opcodes from
/// a stream up to STOP and leaves the stream right after it, which the legacy torch format needs
/// (several pickles and raw storages follow each other in one file). Every length is checked against
/// the bytes the stream still holds before anything is allocated; stack, mark depth and memo are
/// bounded.
/// </summary>
public sealed class Unpickler
{
    public const int MaxStack = 1 << 22;
    public const int MaxMarkDepth = 10_000;
    public const int MaxMemo = 1 << 22;
    /// <summary>A pickle longer than this is refused (checkpoint pickles hold structure, not data).</summary>
    public const long MaxPickleBytes = 64L << 20;
    private const int MaxLineBytes = 1 << 16;
    private const int MaxLongBytes = 1 << 16;

    private readonly Stream _in;
    private readonly string _file;
    private readonly IPickleHost _host;
    private readonly long _start;
    private readonly long _end;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private int _protocol;

    /// <param name="input">A seekable stream positioned at the pickle's first byte.</param>
    /// <param name="file">The file name used in error messages.</param>
    public Unpickler(Stream input, string file, IPickleHost host)
    {
        _in = input;
        _file = file;
        _host = host;
        _start = input.Position;
        _end = Math.Min(input.Length, _start + MaxPickleBytes);
    }

    public object? Load()
    {
        while (true)
        {
            long at = _in.Position;
            int op = _in.ReadByte();
            if (op < 0 || at >= _end)
                throw Bad(at, _in.Position >= _start + MaxPickleBytes
                    ? $"pickle longer than {MaxPickleBytes} bytes"
                    : "pickle ends before its STOP opcode (file cut short?)");
            try
            {
                if (Step((byte)op)) break;
            }
            catch (InvalidDataException) { throw; }
            catch (Exception e) when (e is EndOfStreamException or OverflowException or FormatException or ArgumentException or InvalidCastException)
            {
                throw Bad(at, $"opcode 0x{op:x2}: {e.Message}");
            }
        }
        if (_stack.Count != 1 || _marks.Count != 0)
            throw Bad(_in.Position, $"STOP with {_stack.Count} values on the stack");
        return _stack[0];
    }

    /// <summary>Executes one opcode; true at STOP.</summary>
    private bool Step(byte op)
    {
        switch (op)
        {
            case 0x80: // PROTO
                _protocol = ReadU8();
                if (_protocol > 5) throw Bad(_in.Position, $"unsupported pickle protocol {_protocol}");
                break;
            case 0x95: // FRAME: framing only groups opcodes; the content follows inline
                ReadU64();
                break;
            case (byte)'.': return true; // STOP

            case (byte)'(': // MARK
                if (_marks.Count >= MaxMarkDepth) throw Bad(_in.Position, $"more than {MaxMarkDepth} nested marks");
                _marks.Add(_stack.Count);
                break;
            case (byte)'0': Pop(); break; // POP
            case (byte)'1': PopMark(); break; // POP_MARK
            case (byte)'2': Push(Peek()); break; // DUP

            case (byte)'N': Push(null); break;
            case 0x88: Push(true); break; // NEWTRUE
            case 0x89: Push(false); break; // NEWFALSE
            case (byte)'K': Push((long)ReadU8()); break; // BININT1
            case (byte)'M': Push((long)ReadU16()); break; // BININT2
            case (byte)'J': Push((long)ReadI32()); break; // BININT
            case 0x8a: Push(ReadLong(ReadU8())); break; // LONG1
            case 0x8b: // LONG4
            {
                int n = ReadI32();
                if (n < 0) throw Bad(_in.Position, "negative LONG4 length");
                Push(ReadLong(n));
                break;
            }
            case (byte)'I': // INT (text); "01"/"00" are protocol 0's True/False
            {
                string s = ReadLine();
                Push(s switch { "01" => true, "00" => false, _ => ParseInt(s) });
                break;
            }
            case (byte)'L': Push(ParseInt(ReadLine().TrimEnd('L'))); break; // LONG (text)
            case (byte)'F': Push(double.Parse(ReadLine(), NumberStyles.Float, CultureInfo.InvariantCulture)); break; // FLOAT
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT

            case (byte)'X': Push(Utf8(ReadBytes(ReadU32()))); break; // BINUNICODE
            case 0x8c: Push(Utf8(ReadBytes(ReadU8()))); break; // SHORT_BINUNICODE
            case 0x8d: Push(Utf8(ReadBytes(ReadU64()))); break; // BINUNICODE8
            case (byte)'V': Push(RawUnicodeEscape(ReadLine())); break; // UNICODE (text)
            // Python 2 str: torch.load decodes it as UTF-8, so do we.
            case (byte)'T': Push(Utf8(ReadBytes(ReadI32()))); break; // BINSTRING
            case (byte)'U': Push(Utf8(ReadBytes(ReadU8()))); break; // SHORT_BINSTRING
            case (byte)'S': Push(StringLiteral(ReadLine())); break; // STRING (text, quoted)
            case (byte)'B': Push(ReadBytes(ReadU32())); break; // BINBYTES
            case (byte)'C': Push(ReadBytes(ReadU8())); break; // SHORT_BINBYTES
            case 0x8e: Push(ReadBytes(ReadU64())); break; // BINBYTES8
            case 0x96: Push(ReadBytes(ReadU64())); break; // BYTEARRAY8

            case (byte)']': Push(new PyList([])); break; // EMPTY_LIST
            case (byte)'l': Push(new PyList(PopMark())); break; // LIST
            case (byte)'a': // APPEND
            {
                object? v = Pop();
                AsList(Peek()).Add(v);
                break;
            }
            case (byte)'e': // APPENDS
            {
                var items = PopMark();
                AsList(Peek()).AddRange(items);
                break;
            }
            case (byte)')': Push(PyTuple.Empty); break; // EMPTY_TUPLE
            case (byte)'t': Push(new PyTuple(PopMark().ToArray())); break; // TUPLE
            case 0x85: Push(new PyTuple([Pop()])); break; // TUPLE1
            case 0x86: // TUPLE2
            {
                object? b = Pop(), a = Pop();
                Push(new PyTuple([a, b]));
                break;
            }
            case 0x87: // TUPLE3
            {
                object? c = Pop(), b = Pop(), a = Pop();
                Push(new PyTuple([a, b, c]));
                break;
            }
            case (byte)'}': Push(new PyDict()); break; // EMPTY_DICT
            case (byte)'d': // DICT
            {
                var items = PopMark();
                var d = new PyDict();
                SetItems(d, items);
                Push(d);
                break;
            }
            case (byte)'s': // SETITEM
            {
                object? v = Pop(), k = Pop();
                AsDict(Peek()).Set(k, v);
                break;
            }
            case (byte)'u': // SETITEMS
            {
                var items = PopMark();
                SetItems(AsDict(Peek()), items);
                break;
            }
            case 0x8f: Push(new PySet([])); break; // EMPTY_SET
            case 0x90: // ADDITEMS
            {
                var items = PopMark();
                if (Peek() is not PySet set) throw Bad(_in.Position, $"ADDITEMS on a {PyRepr.TypeName(Peek())}");
                set.Items.AddRange(items);
                break;
            }
            case 0x91: Push(new PySet(PopMark())); break; // FROZENSET

            case (byte)'p': Memo(ParseInt(ReadLine())); break; // PUT
            case (byte)'q': Memo(ReadU8()); break; // BINPUT
            case (byte)'r': Memo(ReadU32()); break; // LONG_BINPUT
            case 0x94: Memo(_memo.Count); break; // MEMOIZE
            case (byte)'g': Push(Recall(ParseInt(ReadLine()))); break; // GET
            case (byte)'h': Push(Recall(ReadU8())); break; // BINGET
            case (byte)'j': Push(Recall(ReadU32())); break; // LONG_BINGET

            case (byte)'c': // GLOBAL
            {
                string module = ReadLine(), name = ReadLine();
                Push(Resolve(module, name));
                break;
            }
            case 0x93: // STACK_GLOBAL
            {
                object? name = Pop(), module = Pop();
                if (module is not string m || name is not string n) throw Bad(_in.Position, "STACK_GLOBAL needs two strings");
                Push(Resolve(m, n));
                break;
            }
            case (byte)'R': // REDUCE
            {
                object? args = Pop(), callable = Pop();
                Push(Call(callable, args));
                break;
            }
            case 0x81: // NEWOBJ: cls.__new__(cls, *args), which for the allowed classes is the constructor
            {
                object? args = Pop(), cls = Pop();
                Push(Call(cls, args));
                break;
            }
            case 0x92: // NEWOBJ_EX
            {
                object? kwargs = Pop(), args = Pop(), cls = Pop();
                if (kwargs is PyDict { Count: > 0 }) throw Bad(_in.Position, $"NEWOBJ_EX with keyword arguments for {PyRepr.TypeName(cls)}");
                Push(Call(cls, args));
                break;
            }
            case (byte)'i': // INST (protocol 0/1 instance)
            {
                string module = ReadLine(), name = ReadLine();
                var cls = Resolve(module, name);
                Push(Call(cls, new PyTuple(PopMark().ToArray())));
                break;
            }
            case (byte)'o': // OBJ
            {
                var items = PopMark();
                if (items.Count == 0) throw Bad(_in.Position, "OBJ without a class");
                Push(Call(items[0], new PyTuple(items.Skip(1).ToArray())));
                break;
            }
            case (byte)'b': // BUILD
            {
                object? state = Pop();
                _host.Build(Peek(), state);
                break;
            }
            case (byte)'P': Push(_host.PersistentLoad(ReadLine())); break; // PERSID
            case (byte)'Q': Push(_host.PersistentLoad(Pop())); break; // BINPERSID

            case 0x82 or 0x83 or 0x84:
                throw Bad(_in.Position, "pickle uses the copyreg extension registry (EXT opcodes), which is refused");
            case 0x97 or 0x98:
                throw Bad(_in.Position, "pickle uses out-of-band buffers (protocol 5), which a file cannot supply");
            default:
                throw Bad(_in.Position - 1, $"unknown pickle opcode 0x{op:x2}");
        }
        return false;
    }

    private PyGlobal Resolve(string module, string name)
    {
        // Protocol 0–2 pickles written by Python 2 use the old module names (Python's fix_imports).
        if (_protocol < 3)
        {
            module = module switch
            {
                "__builtin__" => "builtins",
                "copy_reg" => "copyreg",
                _ => module,
            };
        }
        return _host.ResolveGlobal(module, name);
    }

    private object? Call(object? callable, object? args)
    {
        if (callable is not PyGlobal g) throw Bad(_in.Position, $"cannot call a {PyRepr.TypeName(callable)}");
        if (args is not PyTuple t) throw Bad(_in.Position, $"arguments of {g} are a {PyRepr.TypeName(args)}, not a tuple");
        return _host.Call(g, t);
    }

    private void SetItems(PyDict d, List<object?> items)
    {
        if (items.Count % 2 != 0) throw Bad(_in.Position, "odd number of items for a dict");
        for (int k = 0; k < items.Count; k += 2) d.Set(items[k], items[k + 1]);
    }

    private List<object?> AsList(object? v) =>
        v is PyList l ? l.Items : throw Bad(_in.Position, $"APPEND on a {PyRepr.TypeName(v)}");

    private PyDict AsDict(object? v) =>
        v as PyDict ?? throw Bad(_in.Position, $"SETITEM on a {PyRepr.TypeName(v)}");

    private void Push(object? v)
    {
        if (_stack.Count >= MaxStack) throw Bad(_in.Position, $"pickle stack deeper than {MaxStack}");
        _stack.Add(v);
    }

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Bad(_in.Position, "pickle stack underflow");
        object? v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Bad(_in.Position, "pickle stack underflow");
        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Bad(_in.Position, "opcode needs a MARK but none is set");
        int at = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(at, _stack.Count - at);
        _stack.RemoveRange(at, _stack.Count - at);
        return items;
    }

    private void Memo(object key)
    {
        long k = key switch { long l => l, int i => i, _ => throw Bad(_in.Position, "memo key is not an int") };
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(k)) throw Bad(_in.Position, $"more than {MaxMemo} memo entries");
        _memo[k] = Peek();
    }

    private object? Recall(object key)
    {
        long k = key switch { long l => l, int i => i, _ => throw Bad(_in.Position, "memo key is not an int") };
        return _memo.TryGetValue(k, out var v) ? v : throw Bad(_in.Position, $"memo entry {k} was never stored");
    }

    private int ReadU8()
    {
        int b = _in.ReadByte();
        return b >= 0 ? b : throw new EndOfStreamException("pickle ends inside an opcode's argument");
    }

    private int ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2));

    private int ReadI32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    private long ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    private long ReadU64()
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        return n > long.MaxValue ? long.MaxValue : (long)n;
    }

    private byte[] ReadBytes(long n)
    {
        if (n < 0 || n > _end - _in.Position)
            throw Bad(_in.Position, $"a {n}-byte argument runs past the end of the pickle (file cut short?)");
        var b = new byte[n];
        _in.ReadExactly(b);
        return b;
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = ReadU8();
            if (b == '\n') break;
            if (sb.Length >= MaxLineBytes) throw Bad(_in.Position, "text argument longer than 64 KiB");
            sb.Append((char)b);
        }
        string s = sb.ToString();
        return s.EndsWith('\r') ? s[..^1] : s;
    }

    private object ReadLong(int n)
    {
        if (n > MaxLongBytes) throw Bad(_in.Position, $"integer of {n} bytes");
        var bytes = ReadBytes(n);
        var v = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (object)(long)v : v;
    }

    private static object ParseInt(string s)
    {
        var v = BigInteger.Parse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return v >= long.MinValue && v <= long.MaxValue ? (object)(long)v : v;
    }

    private string Utf8(byte[] b)
    {
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { throw Bad(_in.Position, "string is not valid UTF-8"); }
    }

    /// <summary>Python's raw-unicode-escape: latin-1 text where only \uXXXX and \UXXXXXXXX are escapes.</summary>
    private static string RawUnicodeEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int k = 0; k < s.Length; k++)
        {
            if (s[k] == '\\' && k + 1 < s.Length && (s[k + 1] == 'u' || s[k + 1] == 'U'))
            {
                int digits = s[k + 1] == 'u' ? 4 : 8;
                if (k + 2 + digits > s.Length) throw new FormatException("truncated \\u escape");
                int cp = int.Parse(s.AsSpan(k + 2, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                sb.Append(char.ConvertFromUtf32(cp));
                k += 1 + digits;
            }
            else sb.Append(s[k]);
        }
        return sb.ToString();
    }

    /// <summary>A protocol 0 STRING argument: a quoted Python literal with backslash escapes.</summary>
    private static string StringLiteral(string s)
    {
        if (s.Length < 2 || s[0] != s[^1] || (s[0] != '\'' && s[0] != '"'))
            throw new FormatException("STRING argument is not quoted");
        var body = s.AsSpan(1, s.Length - 2);
        var bytes = new List<byte>(body.Length);
        for (int k = 0; k < body.Length; k++)
        {
            char c = body[k];
            if (c != '\\' || k + 1 == body.Length) { bytes.Add((byte)c); continue; }
            char e = body[++k];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                {
                    int len = 1;
                    while (len < 3 && k + len < body.Length && body[k + len] is >= '0' and <= '7') len++;
                    bytes.Add((byte)Convert.ToInt32(body.Slice(k, len).ToString(), 8));
                    k += len - 1;
                    break;
                }
                case 'x':
                    if (k + 2 >= body.Length) throw new FormatException("truncated \\x escape");
                    bytes.Add(byte.Parse(body.Slice(k + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    k += 2;
                    break;
                case '\\' or '\'' or '"': bytes.Add((byte)e); break;
                default: bytes.Add((byte)'\\'); bytes.Add((byte)e); break;
            }
        }
        return new UTF8Encoding(false, true).GetString(bytes.ToArray());
    }

    private InvalidDataException Bad(long at, string message) => new($"{_file}: {message} (pickle byte {at - _start})");
}
