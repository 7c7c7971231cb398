using GridSweep.Messages.Sweeps;

namespace GridSweep.Messages.Tests.Sweeps;

/// <summary>One sweep file using every grid feature together, as the documentation shows it.</summary>
public sealed class GridExampleSpecs
{
    public const string Example = """
        name: imdb-wide
        dataset: {name: imdb, num_words: 10000}
        training:
          epochs: 20
          batch_size: 512
          optimizer: {name: adam, learning_rate: 0.001}
          seeds: [1, 2]
        grid:
          model:
            baseline: {hidden: [16, 16]}
            bigger:   {hidden: [512, 512]}
          regularizer:
            none:    {}
            l2:      {l2: [0.0001, 0.001, 0.01]}
            elastic: {l1: [0.0001, 0.001], l2: [0.001, 0.01]}
          optimizer:
            adam: {}
            sgd:  {momentum: [0.0, 0.9]}
          learning_rate: [0.001, 0.01]
          activation: [relu, tanh]
          batch_size: [32, 128]
          epochs: [10, 20]
          exclude:
            - {model: bigger, batch_size: 32}
            - {optimizer: sgd, activation: tanh}
          include:
            - {model: bigger, regularizer: none, optimizer: adam, learning_rate: 0.001, activation: gelu, batch_size: 512}
        """;

    private static readonly SweepSpec Spec = TestSweeps.Parse(Example);

    [Fact]
    public void Lists_in_entries_expand_into_named_entries()
    {
        Assert.Equal(
            ["none", "l2-0.0001", "l2-0.001", "l2-0.01",
             "elastic-l1-0.0001-l2-0.001", "elastic-l1-0.0001-l2-0.01", "elastic-l1-0.001-l2-0.001", "elastic-l1-0.001-l2-0.01"],
            Spec.Regularizers.Select(r => r.Name));
        Assert.Equal(
            ["adam-lr0.001", "adam-lr0.01", "sgd-0-lr0.001", "sgd-0-lr0.01", "sgd-0.9-lr0.001", "sgd-0.9-lr0.01"],
            Spec.Optimizers.Select(o => o.Name));
    }

    [Fact]
    public void The_product_less_the_exclusions_plus_the_inclusions()
    {
        var trials = SweepGrid.Expand(Spec);

        // 2 models × 8 regularizers × 6 optimizers × 2 activations × 2 batch sizes × 2 epoch counts × 2 seeds = 1536;
        // less 384 (bigger at 32) and 512 (sgd with tanh), 128 of them in both; plus 2 epoch counts × 2 seeds included.
        Assert.Equal(1536 - 384 - 512 + 128 + 4, trials.Count);
        Assert.Equal(trials.Count, trials.Select(t => t.Id).Distinct().Count());
        Assert.DoesNotContain(trials, t => t.Model == "bigger" && t.BatchSize == 32);
        Assert.DoesNotContain(trials, t => t.Optimizer.StartsWith("sgd-") && t.Activation == "tanh");
        Assert.Equal(
            ["bigger/none/adam-lr0.001/gelu/512/10/1", "bigger/none/adam-lr0.001/gelu/512/10/2", "bigger/none/adam-lr0.001/gelu/512/20/1", "bigger/none/adam-lr0.001/gelu/512/20/2"],
            trials.TakeLast(4).Select(t => $"{t.Model}/{t.Regularizer}/{t.Optimizer}/{t.Activation}/{t.BatchSize}/{t.Epochs}/{t.Seed}"));
    }
}
