using System.Numerics;
using TTL.Torch.Serialization.Pickle;

namespace TTL.Torch.Serialization.Tests;

public sealed class UnpicklerTests
{
    // pickle.dumps({'a': [1, -2, 3.5, None, True, False, 'hé', b'xy', (1, 2), 2**70, -300, 70000],
    //               's': {1, 2}, 'o': OrderedDict(k=1)}, protocol=P) from CPython 3.11.
    [Theory]
    [InlineData(0, "286470300a56610a70310a286c70320a49310a61492d320a6146332e350a614e614930310a614930300a615668e90a70330a61635f636f646563730a656e636f64650a70340a285678790a70350a566c6174696e310a70360a7470370a5270380a612849310a49320a7470390a614c313138303539313632303731373431313330333432344c0a61492d3330300a614937303030300a617356730a7031300a635f5f6275696c74696e5f5f0a7365740a7031310a28286c7031320a49310a6149320a61747031330a527031340a73566f0a7031350a63636f6c6c656374696f6e730a4f726465726564446963740a7031360a2874527031370a566b0a7031380a49310a73732e")]
    [InlineData(2, "80027d71002858010000006171015d7102284b014afeffffff47400c0000000000004e8889580300000068c3a97103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271084b014b028671098a090000000000000000404ad4feffff4a7011010065580100000073710a635f5f6275696c74696e5f5f0a7365740a710b5d710c284b014b026585710d52710e58010000006f710f63636f6c6c656374696f6e730a4f726465726564446963740a71102952711158010000006b71124b0173752e")]
    [InlineData(4, "8004957e000000000000007d94288c0161945d94284b014afeffffff47400c0000000000004e88898c0368c3a99443027879944b014b0286948a090000000000000000404ad4feffff4a70110100658c0173948f94284b014b02908c016f948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e")]
    [InlineData(5, "8005957e000000000000007d94288c0161945d94284b014afeffffff47400c0000000000004e88898c0368c3a99443027879944b014b0286948a090000000000000000404ad4feffff4a70110100658c0173948f94284b014b02908c016f948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e")]
    public void PlainValuesOfEveryProtocolAreRebuilt(int protocol, string hex)
    {
        var root = Load(Convert.FromHexString(hex));
        var dict = Assert.IsType<PyDict>(root);
        Assert.Equal(new object?[] { "a", "s", "o" }, dict.Items.Select(kv => kv.Key));
        var a = Assert.IsType<PyList>(dict.Items[0].Value).Items;
        Assert.Equal(new object?[] { 1L, -2L, 3.5, null, true, false, "hé" }, a.Take(7));
        Assert.Equal("xy"u8.ToArray(), a[7]);
        Assert.Equal(new object?[] { 1L, 2L }, Assert.IsType<PyTuple>(a[8]).Items);
        Assert.Equal(BigInteger.Pow(2, 70), a[9]);
        Assert.Equal(new object?[] { -300L, 70000L }, a.Skip(10));
        Assert.Equal(new object?[] { 1L, 2L }, Assert.IsType<PySet>(dict.Items[1].Value).Items);
        var o = Assert.IsType<PyDict>(dict.Items[2].Value);
        Assert.Equal(new KeyValuePair<object?, object?>("k", 1L), Assert.Single(o.Items));
        Assert.True(protocol >= 0);
    }

    [Fact]
    public void SmallLong1IntegersAreLongs()
    {
        // LONG1 of 2 bytes (-300) as protocol 2 writes for values beyond BININT's range is read as long.
        Assert.Equal(-300L, Load(Convert.FromHexString("80028a02d4fe2e")));
    }

    [Fact]
    public void LoadStopsRightAfterStopSoPicklesCanFollowEachOther()
    {
        var one = new PickleBytes().Int(7).Stop();
        var two = new PickleBytes().Str("x").Stop();
        using var s = new MemoryStream([.. one, .. two]);
        var host = new TorchPickleHost("t", null);
        Assert.Equal(7L, new Unpickler(s, "t", host).Load());
        Assert.Equal("x", new Unpickler(s, "t", host).Load());
    }

    [Theory]
    [InlineData("00", "unknown pickle opcode")]
    [InlineData("8002", "ends before its STOP")]
    [InlineData("8002302e", "underflow")]
    [InlineData("800268052e", "never stored")]
    [InlineData("8002824b012e", "extension registry")]
    [InlineData("80024b014b022e", "2 values on the stack")]
    [InlineData("80024b016e2e", "unknown pickle opcode 0x6e")]
    public void MalformedPicklesAreRefused(string hex, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(Convert.FromHexString(hex)));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void CallsOutsideTheAllowlistAreRefusedEvenForAllowedNamesWithWrongArguments()
    {
        var pkl = new PickleBytes().Global("torch", "FloatStorage").Op(')').Op('R').Stop();
        var e = Assert.Throws<InvalidDataException>(() => Load(pkl));
        Assert.Contains("cannot call torch.FloatStorage", e.Message);
    }

    [Theory]
    [InlineData("builtins", "getattr")]
    [InlineData("__builtin__", "eval")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("numpy.core.multiarray", "scalar")]
    public void GlobalsOutsideTheAllowlistAreRefusedByName(string module, string name)
    {
        var pkl = new PickleBytes().Global(module, name).Stop();
        var e = Assert.Throws<InvalidDataException>(() => Load(pkl));
        string expected = module == "__builtin__" ? "builtins" : module;
        Assert.Equal($"refusing to load t.pkl: it references {expected}.{name}", e.Message);
    }

    private static object? Load(byte[] bytes) =>
        new Unpickler(new MemoryStream(bytes), "t.pkl", new TorchPickleHost("t.pkl", null)).Load();
}
