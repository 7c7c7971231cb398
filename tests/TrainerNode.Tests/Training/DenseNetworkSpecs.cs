using GridSweep.Messages.Sweeps;
using GridSweep.TrainerNode.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Tests.Training;

public sealed class DenseNetworkSpecs
{
    [Theory]
    [InlineData(new[] { 16, 16 }, 160_305)]
    [InlineData(new[] { 4, 4 }, 40_029)]
    [InlineData(new[] { 512, 512 }, 5_383_681)]
    public void The_study_models_have_the_textbook_parameter_counts(int[] hidden, long expected)
    {
        using var generator = new Generator(1);
        using var model = new DenseNetwork(10_000, 1, new ModelSpec(hidden), RegularizerSpec.None, generator);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Kernels_are_glorot_uniform_and_biases_zero()
    {
        using var generator = new Generator(3);
        using var model = new DenseNetwork(10_000, 1, new ModelSpec([16, 16]), RegularizerSpec.None, generator);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("bias"))
            {
                Assert.Equal(0f, parameter.abs().max().item<float>());
                continue;
            }
            var (fanIn, fanOut) = name.StartsWith("input_kernel") ? (parameter.shape[0], parameter.shape[1]) : (parameter.shape[1], parameter.shape[0]);
            var limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            Assert.True(parameter.abs().max().item<float>() <= limit, $"{name} exceeds the Glorot limit {limit}");
            // Uniform on [-limit, limit] has standard deviation limit / sqrt(3).
            Assert.InRange(parameter.std().item<float>(), limit / Math.Sqrt(3) * 0.9, limit / Math.Sqrt(3) * 1.1);
        }
    }

    [Fact]
    public void Sparse_input_equals_the_dense_layer_on_the_multi_hot_rows_forward_and_backward()
    {
        var data = TrainingFixtures.Data;
        using var generator = new Generator(11);
        using var model = new DenseNetwork(TrainingFixtures.Words, 1, new ModelSpec([16, 16]), RegularizerSpec.None, generator);
        int[] rows = [0, 5, 17, 42, 99, 123, 512, 1000];

        using var sparse = data.Train.Batch(rows, InputLayer.Sparse, CPU);
        using var dense = data.Train.Batch(rows, InputLayer.Dense, CPU);
        var (sparseOut, sparseGrads) = ForwardBackward(model, sparse);
        var (denseOut, denseGrads) = ForwardBackward(model, dense);

        Assert.True(sparseOut.allclose(denseOut, rtol: 1e-5, atol: 1e-6), "outputs differ");
        Assert.Equal(sparseGrads.Count, denseGrads.Count);
        for (var i = 0; i < sparseGrads.Count; i++)
            Assert.True(sparseGrads[i].allclose(denseGrads[i], rtol: 1e-4, atol: 1e-6), $"gradient {i} differs");
        // The dense rows really are the textbook multi-hot vectors.
        var reviews = (MultiHotReviews)data.Train;
        Assert.Equal(reviews.Offsets[1] - reviews.Offsets[0], (int)dense.DenseRows![0].sum().item<float>());
    }

    private static (Tensor Output, List<Tensor> Gradients) ForwardBackward(DenseNetwork model, InputBatch batch)
    {
        foreach (var p in model.parameters())
            p.grad?.zero_();
        var output = model.call(batch);
        nn.functional.binary_cross_entropy_with_logits(output, batch.Labels).backward();
        return (output.detach().clone(), model.parameters().Select(p => p.grad!.clone()).ToList());
    }

    [Fact]
    public void L2_penalty_is_l2_times_the_sum_of_squares_of_the_hidden_kernels_only()
    {
        using var generator = new Generator(5);
        using var model = new DenseNetwork(1000, 1, new ModelSpec([8, 8]), new RegularizerSpec(L2: 0.001), generator);
        var expected = model.HiddenKernels().Sum(k => k.mul(k).sum().item<float>()) * 0.001;
        Assert.Equal(2, model.HiddenKernels().Count());
        Assert.Equal(expected, model.Penalty().item<float>(), 1e-6);
    }

    [Fact]
    public void L1_and_L2_penalties_add_up()
    {
        using var generator = new Generator(5);
        using var model = new DenseNetwork(1000, 1, new ModelSpec([8]), new RegularizerSpec(L1: 0.01, L2: 0.001), generator);
        var kernel = model.HiddenKernels().Single();
        var expected = 0.01 * kernel.abs().sum().item<float>() + 0.001 * kernel.mul(kernel).sum().item<float>();
        Assert.Equal(expected, model.Penalty().item<float>(), 1e-5);
    }

    [Fact]
    public void Without_l1_or_l2_there_is_no_penalty()
    {
        using var generator = new Generator(5);
        using var model = new DenseNetwork(1000, 1, new ModelSpec([8]), new RegularizerSpec(Dropout: 0.5), generator);
        Assert.Equal(0f, model.Penalty().item<float>());
    }

    [Fact]
    public void Dropout_zeroes_about_its_rate_in_training_scales_the_rest_and_is_off_in_evaluation()
    {
        var data = TrainingFixtures.Data;
        using var generator = new Generator(9);
        using var model = new DenseNetwork(TrainingFixtures.Words, 1, new ModelSpec([512]), new RegularizerSpec(Dropout: 0.6), generator);
        int[] rows = Enumerable.Range(0, 256).ToArray();
        using var batch = data.Train.Batch(rows, InputLayer.Sparse, CPU);

        model.eval();
        var first = model.call(batch);
        var second = model.call(batch);
        Assert.True(first.allclose(second, rtol: 0, atol: 0), "evaluation must be deterministic: no dropout");

        model.train();
        var a = model.call(batch);
        var b = model.call(batch);
        Assert.False(a.allclose(b, rtol: 0, atol: 0), "training must draw a new dropout mask each call");
        // Inverted dropout keeps the expected activation: the training outputs average near the evaluation ones.
        Assert.InRange(a.mean().item<float>() - first.mean().item<float>(), -0.05, 0.05);
    }

    [Fact]
    public void Batch_norm_adds_a_normalization_per_hidden_layer()
    {
        using var generator = new Generator(1);
        using var plain = new DenseNetwork(1000, 1, new ModelSpec([16, 16]), RegularizerSpec.None, generator);
        using var normalized = new DenseNetwork(1000, 1, new ModelSpec([16, 16]), new RegularizerSpec(BatchNorm: true), generator);
        // Two BatchNorm1d layers, each with a scale and a shift of 16.
        Assert.Equal(plain.parameters().Sum(p => p.numel()) + 2 * 2 * 16, normalized.parameters().Sum(p => p.numel()));
    }
}

public sealed class DenseNetworkOutputSpecs
{
    [Fact]
    public void Dense_feature_rows_give_one_output_per_class_for_multiclass_and_a_vector_for_one_unit()
    {
        using var generator = new Generator(2);
        using var classifier = new DenseNetwork(784, 10, new ModelSpec([32]), RegularizerSpec.None, generator);
        using var regressor = new DenseNetwork(784, 1, new ModelSpec([32, 8]), RegularizerSpec.None, generator);
        using var batch = InputBatch.Dense(rand(5, 784), zeros(5));

        Assert.Equal([5L, 10L], classifier.call(batch).shape);
        Assert.Equal([5L], regressor.call(batch).shape);
        // 784 * 32 + 32 + 32 * 10 + 10
        Assert.Equal(25_450, classifier.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData("relu", 0.0, 0.0, 2.0)]
    [InlineData("tanh", -0.7615941559557649, 0.0, 0.9640275800758169)]
    [InlineData("elu", -0.6321205588285577, 0.0, 2.0)] // alpha 1: e^x - 1 below zero
    [InlineData("gelu", -0.15865525393145707, 0.0, 1.9544997361036416)] // exact: x * Phi(x)
    [InlineData("sigmoid", 0.2689414213699951, 0.5, 0.8807970779778823)]
    public void Each_activation_is_the_keras_function(string name, double atMinusOne, double atZero, double atTwo)
    {
        using var x = tensor(new[] { -1f, 0f, 2f });
        var y = DenseNetwork.Activation(name)(x).data<float>().ToArray();
        var expected = new[] { atMinusOne, atZero, atTwo };
        for (var i = 0; i < 3; i++)
            Assert.Equal(expected[i], y[i], 6);
    }

    [Fact]
    public void An_unknown_activation_names_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => DenseNetwork.Activation("swish"));
        Assert.Contains("relu, tanh, elu, gelu, sigmoid", error.Message);
    }
}
