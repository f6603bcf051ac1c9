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
    [InlineData("twophase:layer3", StrategyKind.TwoPhase, "layer3")]
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
        var two = Strategy.Parse("twophase:7,head_epochs=3,lr_factor=0.05");
        Assert.Equal((StrategyKind.TwoPhase, "7", 3, 0.05), (two.Kind, two.Cut, two.HeadEpochs, two.LrFactor));
        Assert.Equal("twophase:7,head_epochs=3,lr_factor=0.05", two.ToString());
        var defaults = Strategy.Parse("twophase:layer3");
        Assert.Equal((Strategy.DefaultHeadEpochs, Strategy.DefaultLrFactor), (defaults.HeadEpochs, defaults.LrFactor));
        Assert.Equal("twophase:layer3", defaults.ToString());
    }

    [Fact]
    public void A_search_replaces_only_the_cut_of_a_strategy_that_takes_one()
    {
        Assert.Equal("twophase:4,head_epochs=3", Strategy.Parse("twophase:layer3,head_epochs=3").WithCut("4").ToString());
        Assert.Equal("lwft:2,body_lr=0.5", Strategy.Parse("lwft:7,body_lr=0.5").WithCut("2").ToString());
        Assert.Throws<InvalidOperationException>(() => Strategy.Parse("full").WithCut("2"));
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
    [InlineData("twophase", "needs a cut point")]
    [InlineData("twophase:3,head_epochs=0", "head_epochs must be a whole number")]
    [InlineData("twophase:3,head_epochs=2.5", "head_epochs must be a whole number")]
    [InlineData("twophase:3,lr_factor=0", "lr_factor must be in (0, 1]")]
    [InlineData("twophase:3,lr_factor=1.5", "lr_factor must be in (0, 1]")]
    [InlineData("twophase:3,body_lr=0.1", "unknown option 'body_lr' for twophase")]
    public void Refuses_malformed_strings_with_a_clear_message(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => Strategy.Parse(text));
        Assert.Contains(message, e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }
}
