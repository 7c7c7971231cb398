using GridSweep.Bench;

// Benchmarks that compare side by side in one run. `training`: seconds per epoch and peak memory of
// the study's models, sparse vs dense input, each configuration in its own process so peaks don't mix;
// `fashion`: GridSweep against PyTorch on the Fashion-MNIST models.
return args.FirstOrDefault() switch
{
    "training" => await TrainingBenchmark.RunAsync(args[1..]),
    TrainingBenchmark.ChildCommand => await TrainingBenchmark.RunChildAsync(args[1..]),
    TrainingBenchmark.FloorCommand => TrainingBenchmark.RunFloorChild(args[1..]),
    "fashion" => await FashionBenchmark.RunAsync(args[1..]),
    FashionBenchmark.ChildCommand => await FashionBenchmark.RunChildAsync(args[1..]),
    "coordinator" => await CoordinatorBenchmark.RunAsync(args[1..]),
    CoordinatorBenchmark.TrainersCommand => await CoordinatorBenchmark.RunTrainersAsync(args[1..]),
    "ingest" => await IngestBenchmark.RunAsync(args[1..]),
    "checkpoints" => await CheckpointBenchmark.RunAsync(args[1..]),
    "small-trials" => await SmallTrialsBenchmark.RunAsync(args[1..]),
    SmallTrialsBenchmark.ReadyCommand => await SmallTrialsBenchmark.RunReadyAsync(args[1..]),
    "ledger" => await LedgerBenchmark.RunAsync(args[1..]),
    "dashboards" => await DashboardBenchmark.RunAsync(args[1..]),
    "report" => await ReportBenchmark.RunAsync(args[1..]),
    ReportBenchmark.PopulateCommand => await ReportBenchmark.PopulateAsync(args[1..]),
    ReportBenchmark.ReportChild => await ReportBenchmark.ReportChildAsync(args[1..]),
    ReportBenchmark.SummaryChild => await ReportBenchmark.SummaryChildAsync(args[1..]),
    ReportBenchmark.LiveChild => await ReportBenchmark.LiveChildAsync(args[1..]),
    LedgerBenchmark.ChildCommand => await LedgerBenchmark.RunChildAsync(args[1..]),
    "grid" => await GridBenchmark.RunAsync(args[1..]),
    GridBenchmark.ChildCommand => await GridBenchmark.RunChildAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: scripts/bench.sh training [--data ARCHIVE] [--epochs 4] [--rounds 1] [--threads 1] [--models LIST] [--regularizers none,l2,dropout] [--dense] [--python PATH|none] [--out FILE]
                 the IMDB study's models, GridSweep (sparse input) beside the PyTorch reference (bench/pytorch/imdb.py, Debian's
                 python3-torch with OpenBLAS, installed by scripts/bench.sh), alternating, with the machine's floor for the
                 512-512 net (--dense: the dense input form too, as before; table bench/results/training.md)
               scripts/bench.sh fashion [--data DIR] [--epochs 3] [--rounds 1] [--threads N] [--batch 128] [--models LIST] [--out FILE]
                 GridSweep against PyTorch (Debian's python3-torch, installed by scripts/bench.sh) on the Fashion-MNIST
                 study's models (baseline 128, smaller 16, bigger 512-512), alternating per model and round
                 (default data ../shared/data/fashion-mnist, table bench/results/fashion-mnist.md)
               dotnet run --project bench/GridSweep.Bench -c Release -- coordinator [--trials 100000] [--slots 1000] [--epochs 5]
               dotnet run --project bench/GridSweep.Bench -c Release -- checkpoints [--epochs 4] [--rounds 3] [--data ARCHIVE] [--out FILE]
                 an IMDB trial with and without a checkpoint after every epoch (table bench/results/checkpoints.md)
               dotnet run --project bench/GridSweep.Bench -c Release -- ledger [--sizes 10000,100000] [--quick] [--rounds N] [--out FILE]
                 the run folder's ledger, today's CSV one (RunFolder of 6d71c7d) beside the current RunFolder: populate, resume
                 (each in its own process: time, peak memory, heap), DropTrial, AppendEpoch latency (table bench/results/ledger.md;
                 --quick: 1,000 trials; --rounds: resume processes per size, default 3 up to 10,000 trials, 1 above)
               dotnet run --project bench/GridSweep.Bench -c Release -- dashboards [--trials 1000,10000,100000] [--epochs 20] [--seeds 5] [--runs 5] [--baseline-max 10000] [--out FILE]
                 the real coordinator and simulated trainers write N trials into a fresh influxd (default limits); every panel and
                 variable query of the overview and curves dashboards, as Grafana sends it, timed: median and max seconds, rows, KB
                 beside the same panels before the aggregates (Baseline/dashboards) up to --baseline-max trials
                 (table bench/results/dashboards.md; exit 1 if any point was dropped or refused)
               dotnet run --project bench/GridSweep.Bench -c Release -- small-trials [--trials 500] [--reviews 512] [--slots 1] [--torch-threads N] [--starts 3 (0: skip)] [--data ARCHIVE] [--out FILE]
                 one-epoch trials of a tiny model per second per slot on IMDB-shaped reviews, through the real trainer actor, and
                 how soon after its start a node has the real IMDB data ready (table bench/results/small-trials.md)
               dotnet run --project bench/GridSweep.Bench -c Release -- grid [--sizes 1000,10000,100000,1000000] [--out FILE]
                 a sweep file of N trials to its run folder: parse, expand, open (ledger records N ids), time and memory per
                 trial, one learning-rate list and two axes, each size in its own process; and a grid refused beyond the
                 limit (table bench/results/grid.md)
               dotnet run --project bench/GridSweep.Bench -c Release -- report [--trials 10000,100000] [--epochs 20] [--baseline OLD.dll] [--keep DIR] [--out FILE]
                 the end of a big sweep: report (time, peak memory, index.html size), the 80-column summary table, the page in
                 headless Chromium; --baseline: an older gridsweep-coordinator.dll's report on the same folder (table bench/results/report.md)
               dotnet run --project bench/GridSweep.Bench -c Release -- ingest [--results 200000] [--trials 2000] [--batch 5000] [--runs 3] [--out FILE]

          --data PATH        IMDB archive or folder (default: ../shared/data/imdb/aclImdb_labeled.tar.gz beside the repo)
          --word-index PATH  Keras word index (default: imdb_word_index.json beside the archive, if there)
          --epochs N         epochs per configuration; the first is warm-up and not counted (default 4)
          --models LIST      comma-separated of baseline,smaller,bigger (default all)
          --threads N        threads of each program, GridSweep's torch and fused kernels and PyTorch's (default 1)
          --out FILE         markdown table (default bench/results/training.md)
        """);
    return 2;
}
