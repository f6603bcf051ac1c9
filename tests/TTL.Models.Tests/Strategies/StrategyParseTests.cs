using TTL.Models.Strategies;

namespace TTL.Models.Tests.Strategies;

public sealed class StrategyParseTests
{
    [Theory]
    [InlineData("scratch", StrategyKind.Scratch, null)]
    [InlineData("full", StrategyKind.Full, null)]
    [InlineData(" Linear ", StrategyKind.Linear, null)]
    [InlineData("meanvar", StrategyKind.MeanVar, null)]
    [InlineData("lwft:7", StrategyKind.Lwft, "7")]
    [InlineData("transfusion:layer2", StrategyKind.Transfusion, "layer2")]
    [InlineData("truncate:features.transition2", StrategyKind.Truncate, "features.transition2")]
    public void Parses_every_strategy_name(string text, StrategyKind kind, string? cut)
    {
        var s = Strategy.Parse(text);
        Assert.Equal(kind, s.Kind);
        Assert.Equal(cut, s.Cut);
        Assert.Equal(2, s.SlimFactor);
        Assert.Null(s.BodyLrMultiplier);
    }

    [Fact]
    public void Reads_options_and_round_trips()
    {
        var t = Strategy.Parse("transfusion:3,slim=4");
        Assert.Equal(4, t.SlimFactor);
        Assert.Equal("transfusion:3,slim=4", t.ToString());
        var l = Strategy.Parse("lwft:level2, body_lr=0.1");
        Assert.Equal(0.1, l.BodyLrMultiplier);
        Assert.Equal("lwft:level2,body_lr=0.1", l.ToString());
    }

    [Theory]
    [InlineData("finetune", "unknown name 'finetune'")]
    [InlineData("lwft", "needs a cut point")]
    [InlineData("truncate:", "needs a cut point")]
    [InlineData("full:3", "takes no cut")]
    [InlineData("transfusion:3,slim=0.5", "slim must be at least 1")]
    [InlineData("transfusion:3,slim", "is not key=number")]
    [InlineData("lwft:3,body_lr=2", "body_lr must be in (0, 1]")]
    [InlineData("truncate:3,slim=2", "unknown option 'slim' for truncate")]
    public void Refuses_malformed_strings_with_a_clear_message(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => Strategy.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }
}
