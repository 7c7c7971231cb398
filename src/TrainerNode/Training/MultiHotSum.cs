using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// The sparse first layer on CPU: forward sums the kernel rows of each review's words (LibTorch's
/// embedding bag); backward builds the kernel's gradient word by word. LibTorch's own CPU backward
/// gathers a row per (review, word) pair into a temporary first (about 137 MB per batch of 512 for the
/// bigger net) and took a third of the epoch; here each word's gradient row is the sum of its reviews'
/// output gradients, written once, on all cores.
/// </summary>
internal sealed class MultiHotSum : autograd.SingleTensorFunction<MultiHotSum>
{
    private const string BatchKey = "batch";
    private const string BagKey = "bag";
    private const string BufferKey = "buffer";

    public override string Name => nameof(MultiHotSum);

    /// <param name="vars">The embedding bag, the <see cref="InputBatch"/>, the bag's kernel (so autograd routes its gradient),
    /// and the model's <see cref="GradientBuffer"/>.</param>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var bag = (EmbeddingBag)vars[0];
        var batch = (InputBatch)vars[1];
        ctx.save_data(BatchKey, batch);
        ctx.save_data(BufferKey, vars[3]);
        ctx.save_data(BagKey, bag); // The module, not its kernel: tensors may not go into the context's data.
        return bag.call(batch.Indices!, batch.Offsets!, null);
    }

    /// <remarks>
    /// The gradient is stored on the kernel here rather than returned: a returned tensor is still held by its
    /// .NET wrapper, so autograd would copy all 20 MB of it instead of taking it (measured: 9 ms of 12 per batch).
    /// A gradient already there (an L1/L2 penalty's) is added to.
    /// </remarks>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var batch = (InputBatch)ctx.get_data(BatchKey);
        var kernel = ((EmbeddingBag)ctx.get_data(BagKey)).weight!;
        using var outputGradient = grad_output.contiguous();
        var buffer = ((GradientBuffer)ctx.get_data(BufferKey)).Like(kernel);
        KernelGradient(outputGradient, Longs(batch.Indices!), Longs(batch.Offsets!), buffer);
        if (kernel.grad is { } existing)
            existing.add_(buffer, TorchScalars.One);
        else
            kernel.grad = buffer;
        return [null!, null!, null!, null!];
    }

    /// <summary>d kernel[w] = sum over the reviews b that contain word w of d output[b].</summary>
    internal static Tensor KernelGradient(Tensor outputGradient, ReadOnlySpan<long> wordIndices, ReadOnlySpan<long> bagOffsets, int words)
    {
        var gradient = empty(words, outputGradient.shape[1], dtype: ScalarType.Float32);
        KernelGradient(outputGradient, wordIndices, bagOffsets, gradient);
        return gradient;
    }

    /// <summary>Writes every row of <paramref name="gradient"/> ([words, units], contiguous): the words of no review get zeros.</summary>
    private static void KernelGradient(Tensor outputGradient, ReadOnlySpan<long> wordIndices, ReadOnlySpan<long> bagOffsets, Tensor gradient)
    {
        var words = (int)gradient.shape[0];
        var units = (int)outputGradient.shape[1];
        var bags = bagOffsets.Length;

        // Transpose the batch to word-major order (counting sort): for each word, the reviews that contain it.
        var start = new int[words + 1];
        foreach (var word in wordIndices)
            start[word + 1]++;
        for (var w = 0; w < words; w++)
            start[w + 1] += start[w];
        var next = start.AsSpan(0, words).ToArray();
        var reviews = new int[wordIndices.Length];
        for (var b = 0; b < bags; b++)
        {
            var end = b + 1 < bags ? (int)bagOffsets[b + 1] : wordIndices.Length;
            for (var k = (int)bagOffsets[b]; k < end; k++)
                reviews[next[wordIndices[k]]++] = b;
        }

        unsafe
        {
            var source = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(outputGradient.bytes));
            var target = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(gradient.bytes));
            var threads = FusedCpu.Threads();
            var chunks = threads == 1 ? 1 : threads * 8;
            var perChunk = (words + chunks - 1) / chunks;
            // The slot's threads, like FusedCpu.Adam: a burst of milliseconds per batch, measured harmless to heartbeats.
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
            {
                for (var w = chunk * perChunk; w < Math.Min(words, (chunk + 1) * perChunk); w++)
                {
                    var row = new Span<float>(target + (long)w * units, units);
                    if (start[w] == start[w + 1])
                    {
                        row.Clear();
                        continue;
                    }
                    new ReadOnlySpan<float>(source + (long)reviews[start[w]] * units, units).CopyTo(row);
                    for (var k = start[w] + 1; k < start[w + 1]; k++)
                        AddTo(row, new ReadOnlySpan<float>(source + (long)reviews[k] * units, units));
                }
            });
        }
    }

    /// <summary>A CPU int64 tensor's elements in place (the batch's tensors are built contiguous on the CPU).</summary>
    private static ReadOnlySpan<long> Longs(Tensor tensor) => MemoryMarshal.Cast<byte, long>(tensor.bytes);

    private static void AddTo(Span<float> target, ReadOnlySpan<float> source)
    {
        var t = MemoryMarshal.Cast<float, Vector<float>>(target);
        var s = MemoryMarshal.Cast<float, Vector<float>>(source);
        for (var i = 0; i < t.Length; i++)
            t[i] += s[i];
        for (var i = t.Length * Vector<float>.Count; i < target.Length; i++)
            target[i] += source[i];
    }
}

/// <summary>
/// The first layer's gradient memory, kept by its model from batch to batch: a fresh [words, units] tensor per batch
/// (20 MB for the 512-512 net) came from the system each time, page by page (page faults and zeroing every batch).
/// </summary>
internal sealed class GradientBuffer : IDisposable
{
    private Tensor? buffer;

    /// <summary>The buffer, shaped and typed as <paramref name="kernel"/>; its content is the caller's to overwrite.</summary>
    public Tensor Like(Tensor kernel)
    {
        if (buffer is null || !buffer.shape.SequenceEqual(kernel.shape))
        {
            buffer?.Dispose();
            // Outlives the batch's dispose scope it is first made in.
            buffer = empty(kernel.shape, dtype: ScalarType.Float32).DetachFromDisposeScope();
        }
        return buffer;
    }

    public void Dispose() => buffer?.Dispose();
}
