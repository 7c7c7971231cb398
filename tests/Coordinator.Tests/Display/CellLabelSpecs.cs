using GridSweep.Coordinator.Display;
using GridSweep.Messages.Sweeps;

namespace GridSweep.Coordinator.Tests.Display;

/// <summary>The console names a trial by its model and regularizer, and by every other axis its sweep varies.</summary>
public sealed class CellLabelSpecs
{
    private static IReadOnlyList<TrialSpec> Expand(string grid) => SweepGrid.Expand(SweepSpecParser.Parse($"""
        name: labels
        dataset: {"{name: imdb}"}
        grid:
          model: {"{small: {hidden: [4]}}"}
          {grid}
        """, "labels.yaml"));

    [Fact]
    public void Trials_that_differ_only_in_early_stopping_read_apart()
    {
        var trials = Expand("early_stopping: {off: {}, patient: {patience: 2}}");

        var label = SweepDisplay.CellLabel(trials);

        Assert.Equal(["small/none/early stopping off", "small/none/early stopping patient"], trials.Select(label));
    }

    [Fact]
    public void A_sweep_that_does_not_vary_early_stopping_leaves_it_out()
    {
        var trials = SweepGrid.Expand(SweepSpecParser.Parse("""
            name: labels
            dataset: {name: imdb}
            training: {early_stopping: {patience: 2}}
            grid:
              model: {small: {hidden: [4]}, big: {hidden: [8]}}
            """, "labels.yaml"));

        Assert.Equal(["small/none", "big/none"], trials.Select(SweepDisplay.CellLabel(trials)));
    }
}
