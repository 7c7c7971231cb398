using GridSweep.Messages.Sweeps;
using GridSweep.Messages.Trials;
using GridSweep.Runtime.Metrics;

namespace GridSweep.Runtime.Tests.Metrics;

public class LineProtocolSpecs
{
    [Fact]
    public void Escapes_what_line_protocol_treats_as_syntax()
    {
        var lines = new LineProtocolBuffer(8);
        lines.Measurement("my m,x")
            .Tag("k ey", "a b,c=d")
            .Tag("empty", "")
            .Field("f=1", 1.5)
            .Field("s", "say \"hi\" \\ o/\nbye")
            .End(7);

        Assert.Equal("my\\ m\\,x,k\\ ey=a\\ b\\,c\\=d f\\=1=1.5,s=\"say \\\"hi\\\" \\\\ o/ bye\" 7\n", lines.ToString());
    }

    [Fact]
    public void Writes_integers_with_i_and_floats_so_they_read_back_exactly()
    {
        var lines = new LineProtocolBuffer();
        lines.Measurement("m").Field("n", 3L).Field("x", 0.1 + 0.2).Field("tiny", 1e-5).Field("big", -2.5e20).End(1);

        Assert.Equal("m n=3i,x=0.30000000000000004,tiny=1E-05,big=-2.5E+20 1\n", lines.ToString());
    }

    [Fact]
    public void Leaves_out_non_finite_floats_but_keeps_the_point()
    {
        var lines = new LineProtocolBuffer();
        lines.Measurement("m").Field("a", double.NaN).Field("b", double.PositiveInfinity).Field("c", 2.0).End(1);

        Assert.Equal("m c=2 1\n", lines.ToString());
    }

    [Fact]
    public void A_point_without_any_field_is_refused_and_can_be_abandoned()
    {
        var lines = new LineProtocolBuffer();
        lines.Measurement("ok").Field("a", 1L).End(1);
        lines.Measurement("bad").Field("nan", double.NaN);

        Assert.Throws<InvalidOperationException>(() => lines.End(2));
        lines.Abandon();
        Assert.Equal("ok a=1i 1\n", lines.ToString());
    }

    [Fact]
    public void An_epoch_point_has_the_schema_s_tags_fields_and_fixed_time()
    {
        var lines = new LineProtocolBuffer();
        var trial = MetricsKit.Trial("3f2a9c0d1e4b", model: "bigger", regularizer: "l2", seed: 7);

        MetricsPoint.Epoch(trial, new EpochMetrics(4, 0.25, 0.01, 0.5, 0.9, 0.8, 1.5), "node-1", 12500).WriteTo(lines);

        Assert.Equal(
            "gridsweep_epoch,activation=relu,batch_size=512,epochs=20,learning_rate=0.001,model=bigger,optimizer=adam,regularizer=l2,seed=7,sweep=imdb-overfitting,task=binary " +
            "trial_id=\"3f2a9c0d1e4b\",epoch=4i,train_loss=0.25,train_penalty=0.01,val_loss=0.5,train_accuracy=0.9,val_accuracy=0.8,gap=0.25," +
            "seconds=1.5,samples_per_second=12500,node=\"node-1\" 946684804000000000\n",
            lines.ToString());
        Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 4, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000, Schema.EpochTime(4));
    }

    [Fact]
    public void A_trial_point_carries_the_summary_only_when_there_is_one()
    {
        var lines = new LineProtocolBuffer();
        var trial = MetricsKit.Trial("abc");

        MetricsPoint.Trial(trial, TrialStatus.Running, null, 2, "node-1", 10).WriteTo(lines);
        MetricsPoint.Trial(trial, TrialStatus.Failed, new TrialSummary(TrialStatus.Failed, 3, 0.28, 0.3, 0.1, 0.88, 9, "out of\nmemory"), 2, "node-1", 11)
            .WriteTo(lines);

        var written = lines.ToString().Split('\n');
        Assert.Equal("gridsweep_trial,activation=relu,batch_size=512,epochs=20,learning_rate=0.001,model=baseline,optimizer=adam,regularizer=none,seed=1,sweep=imdb-overfitting,task=binary trial_id=\"abc\",status=\"running\",attempt=2i,node=\"node-1\" 10", written[0]);
        Assert.Equal("gridsweep_trial,activation=relu,batch_size=512,epochs=20,learning_rate=0.001,model=baseline,optimizer=adam,regularizer=none,seed=1,sweep=imdb-overfitting,task=binary " +
            "trial_id=\"abc\",status=\"failed\",attempt=2i,node=\"node-1\",best_epoch=3i,best_val_loss=0.28,final_gap=0.1,best_val_accuracy=0.88,error=\"out of memory\" 11", written[1]);
    }

    [Fact]
    public void A_stopped_trial_is_completed_with_its_stopped_epoch_and_reason_and_its_early_stopping_tag()
    {
        var lines = new LineProtocolBuffer();
        var trial = MetricsKit.Trial("es1") with { EarlyStopping = new EarlyStoppingSpec(Patience: 2), EarlyStoppingLabel = "patient" };
        var summary = new TrialSummary(TrialStatus.Completed, 3, 0.28, 0.3, 0.1, 0.88, 9,
            StoppedEpoch: 5, StopReason: "val_loss did not improve by more than 0 for 2 epochs after epoch 3 (best 0.28)");

        MetricsPoint.Trial(trial, TrialStatus.Completed, summary, 1, "node-1", 12).WriteTo(lines);

        Assert.Equal("gridsweep_trial,activation=relu,batch_size=512,early_stopping=patient,epochs=20,learning_rate=0.001,model=baseline,optimizer=adam,regularizer=none,seed=1,sweep=imdb-overfitting,task=binary " +
            "trial_id=\"es1\",status=\"completed\",attempt=1i,node=\"node-1\",best_epoch=3i,best_val_loss=0.28,final_gap=0.1,best_val_accuracy=0.88," +
            "stopped_epoch=5i,stop_reason=\"val_loss did not improve by more than 0 for 2 epochs after epoch 3 (best 0.28)\" 12\n", lines.ToString());
    }

    [Fact]
    public void A_trial_that_ran_every_epoch_has_no_stop_fields_and_without_early_stopping_no_tag()
    {
        var lines = new LineProtocolBuffer();

        MetricsPoint.Trial(MetricsKit.Trial("full"), TrialStatus.Completed, new TrialSummary(TrialStatus.Completed, 3, 0.28, 0.3, 0.1, 0.88, 9), 1, "node-1", 12)
            .WriteTo(lines);

        Assert.DoesNotContain("stop", lines.ToString());
        Assert.DoesNotContain("early_stopping", lines.ToString());
    }

    [Fact]
    public void A_regression_epoch_has_its_mae_fields_and_no_accuracy_fields()
    {
        var lines = new LineProtocolBuffer();
        var trial = MetricsKit.RegressionTrial("4b0c");

        MetricsPoint.Epoch(trial, new EpochMetrics(2, 30, 0, 40, double.NaN, double.NaN, 0.5, 4.5, 5.25), "node-1", 800).WriteTo(lines);

        Assert.Equal(
            "gridsweep_epoch,activation=tanh,batch_size=32,epochs=200,learning_rate=0.01,model=baseline,optimizer=sgd-lr0.01," +
            "regularizer=none,seed=1,sweep=boston-housing,task=regression " +
            "trial_id=\"4b0c\",epoch=2i,train_loss=30,train_penalty=0,val_loss=40,train_mae=4.5,val_mae=5.25,gap=10," +
            "seconds=0.5,samples_per_second=800,node=\"node-1\" 946684802000000000\n",
            lines.ToString());
    }

    [Fact]
    public void A_regression_trial_summary_has_its_best_mae_and_no_accuracy()
    {
        var lines = new LineProtocolBuffer();
        var summary = TrialSummary.From(TrialStatus.Completed,
            [new EpochMetrics(1, 30, 0, 40, double.NaN, double.NaN, 0.5, 4.5, 5.25), new EpochMetrics(2, 20, 0, 35, double.NaN, double.NaN, 0.5, 4, 4.75)], 1);

        MetricsPoint.Trial(MetricsKit.RegressionTrial("4b0c"), TrialStatus.Completed, summary, 1, "node-1", 12).WriteTo(lines);

        Assert.EndsWith(",task=regression trial_id=\"4b0c\",status=\"completed\",attempt=1i,node=\"node-1\",best_epoch=2i,best_val_loss=35,final_gap=15,best_val_mae=4.75 12\n",
            lines.ToString());
    }

    [Fact]
    public void A_node_heartbeat_is_tagged_by_node_and_device()
    {
        var lines = new LineProtocolBuffer();

        MetricsPoint.Node("trainer-0", "cpu", 2, 1, 30.5, 9000, 5).WriteTo(lines);

        Assert.Equal("gridsweep_node,device=cpu,node=trainer-0 busy_slots=1i,epochs_per_minute=30.5,samples_per_second=9000,slots=2i 5\n", lines.ToString());
    }

    [Fact]
    public void A_nodes_standing_goes_to_its_heartbeats_series_with_fields_of_its_own()
    {
        var lines = new LineProtocolBuffer();

        MetricsPoint.NodeStanding("trainer-0", "cpu", "quarantined", true, 3, 300, "failed 3 trials in a row; last failure: \"x\"", 7).WriteTo(lines);

        Assert.Equal("gridsweep_node,device=cpu,node=trainer-0 failure_streak=3i,quarantined=1i,quarantine_reason=\"failed 3 trials in a row; last failure: \\\"x\\\"\"," +
            "quarantine_seconds=300,standing=\"quarantined\" 7\n", lines.ToString());
    }

    [Fact]
    public void A_cells_epoch_carries_the_spread_over_seeds_of_its_tasks_metrics_and_no_seed_or_trial()
    {
        var lines = new LineProtocolBuffer();
        var spread = new Spread(2, 0.5, 0.25, 0.75);

        MetricsPoint.Grid(new CellEpochPoint(MetricsKit.RegressionTrial("4b0c", seed: 3), 2, 2, spread, spread, Spread.None, spread, spread)).WriteTo(lines);

        Assert.Equal(
            "gridsweep_cell_epoch,activation=tanh,batch_size=32,epochs=200,learning_rate=0.01,model=baseline,optimizer=sgd-lr0.01,regularizer=none,sweep=boston-housing,task=regression " +
            "epoch=2i,seeds=2i,train_loss_mean=0.5,train_loss_min=0.25,train_loss_max=0.75,val_loss_mean=0.5,val_loss_min=0.25,val_loss_max=0.75," +
            "train_mae_mean=0.5,train_mae_min=0.25,train_mae_max=0.75,val_mae_mean=0.5,val_mae_min=0.25,val_mae_max=0.75 946684802000000000\n",
            lines.ToString());
    }

    [Fact]
    public void A_trials_summary_is_one_point_at_its_own_time_with_few_tags_and_its_curve_so_far()
    {
        var lines = new LineProtocolBuffer();
        var trial = MetricsKit.Trial("00000000000a", model: "bigger", seed: 7);

        MetricsPoint.Grid(new TrialSummaryPoint(trial, TrialStatus.Running, 2, "node-1", null, new CurveSummary(3, 2, 0.31, 0.05, 0.88, double.NaN))).WriteTo(lines);

        Assert.Equal(
            "gridsweep_trial_summary,model=bigger,regularizer=none,seed=7,sweep=imdb-overfitting,task=binary " +
            "trial_id=\"00000000000a\",optimizer=\"adam\",learning_rate=\"0.001\",activation=\"relu\",batch_size=\"512\",epochs=\"20\"," +
            "status=\"running\",attempt=2i,node=\"node-1\",epochs_done=3i,curve_best_epoch=2i,curve_best_val_loss=0.31,curve_final_gap=0.05,curve_best_val_accuracy=0.88 " +
            $"{Schema.FixedTime + 10}\n",
            lines.ToString());
    }
}
