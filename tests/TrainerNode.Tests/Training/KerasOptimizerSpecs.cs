using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

public sealed class KerasOptimizerSpecs
{
    [Fact]
    public void Adam_takes_the_keras_step_with_epsilon_outside_the_square_root()
    {
        var spec = new OptimizerSpec("adam", 0.01);
        using var parameter = tensor(new[] { 1.0f, -2.0f, 0.5f }).requires_grad_();
        var gradients = new[] { new[] { 0.3f, -0.1f, 1e-9f }, new[] { 0.2f, 0.4f, -0.5f } };
        using var optimizer = KerasOptimizer.Create(spec, [parameter]);

        var p = new[] { 1.0, -2.0, 0.5 };
        var m = new double[3];
        var v = new double[3];
        for (var t = 1; t <= gradients.Length; t++)
        {
            parameter.grad = tensor(gradients[t - 1]);
            optimizer.Step();
            var alpha = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (var i = 0; i < 3; i++)
            {
                var g = gradients[t - 1][i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                p[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + 1e-7);
            }
        }
        var actual = parameter.data<float>().ToArray();
        for (var i = 0; i < 3; i++)
            Assert.Equal(p[i], actual[i], 1e-5);
    }

    [Fact]
    public void Sgd_with_momentum_follows_keras()
    {
        using var parameter = tensor(new[] { 1.0f }).requires_grad_();
        using var optimizer = KerasOptimizer.Create(new OptimizerSpec("sgd", 0.1, Momentum: 0.9), [parameter]);
        parameter.grad = tensor(new[] { 1.0f });
        optimizer.Step(); // velocity -0.1, p 0.9
        parameter.grad = tensor(new[] { 1.0f });
        optimizer.Step(); // velocity -0.19, p 0.71
        Assert.Equal(0.71, parameter.item<float>(), 1e-6);
    }

    [Fact]
    public void Rmsprop_follows_keras()
    {
        using var parameter = tensor(new[] { 1.0f }).requires_grad_();
        using var optimizer = KerasOptimizer.Create(new OptimizerSpec("rmsprop", 0.01), [parameter]);
        parameter.grad = tensor(new[] { 2.0f });
        optimizer.Step();
        var v = 0.1 * 4.0;
        Assert.Equal(1.0 - 0.01 * 2.0 / (Math.Sqrt(v) + 1e-7), parameter.item<float>(), 1e-6);
    }

    [Fact]
    public void An_unknown_optimizer_is_refused_with_the_allowed_names()
    {
        var error = Assert.Throws<ArgumentException>(() => KerasOptimizer.Create(new OptimizerSpec("adagrad", 0.1), []));
        Assert.Contains("adam, sgd, rmsprop", error.Message);
    }
}
