namespace GridSweep.Messages.Sweeps;

/// <summary>Turns a sweep into its trials: every grid cell once per seed.</summary>
public static class SweepGrid
{
    /// <summary>
    /// The cartesian product model × regularizer × optimizer × seed in declaration order, model outermost and seed
    /// innermost, so the trials of one cell run next to each other. A learning-rate axis is already folded into the
    /// optimizer axis by the parser.
    /// </summary>
    /// <exception cref="SweepSpecException">Two cells resolve to the same configuration, so they would share an id.</exception>
    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
        var trials = new List<TrialSpec>();
        var byId = new Dictionary<string, TrialSpec>();
        var errors = new List<SpecError>();
        var reported = new HashSet<(string, string)>();

        foreach (var model in spec.Models)
        foreach (var regularizer in spec.Regularizers)
        foreach (var optimizer in spec.Optimizers)
        foreach (var seed in spec.Training.Seeds)
        {
            var trial = new TrialSpec(
                Id: "",
                Sweep: spec.Name,
                Model: model.Name,
                Regularizer: regularizer.Name,
                Optimizer: optimizer.Name,
                Seed: seed,
                ModelConfig: model.Value,
                RegularizerConfig: regularizer.Value,
                OptimizerConfig: optimizer.Value,
                Epochs: spec.Training.Epochs,
                BatchSize: spec.Training.BatchSize,
                InputLayer: spec.Training.InputLayer,
                Dataset: spec.Dataset);
            trial = trial with { Id = TrialId.For(trial) };

            if (byId.TryAdd(trial.Id, trial))
            {
                trials.Add(trial);
            }
            else if (reported.Add((CellLabel(byId[trial.Id]), CellLabel(trial))))
            {
                // Reported once per pair of cells, not once per seed.
                var first = byId[trial.Id];
                errors.Add(new SpecError(spec.SourceFile, 0, 0, "grid",
                    $"'{Label(trial)}' resolves to the same configuration as '{Label(first)}' (trial id {trial.Id}); " +
                    "give the entries different settings or remove one"));
            }
        }

        if (errors.Count > 0)
            throw new SweepSpecException(errors);
        return trials;
    }

    private static string CellLabel(TrialSpec trial) => $"{trial.Model}/{trial.Regularizer}/{trial.Optimizer}";

    private static string Label(TrialSpec trial) => $"{CellLabel(trial)}/seed {trial.Seed}";
}
