using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// Optimizer updates as one vectorized pass over CPU memory. The bigger net's Adam step touches 5.4 million
/// parameters per batch; as separate tensor ops it streams each array through memory about seven times,
/// fused it reads gradient, moments and parameter once and writes them once (measured in bench/).
/// </summary>
internal static class FusedCpu
{
    /// <summary>Below this many elements one thread is faster than handing out work.</summary>
    private const int ParallelThreshold = 1 << 16;

    public static bool Applies(Tensor parameter, Tensor gradient) =>
        parameter.device_type == DeviceType.CPU && parameter.dtype == ScalarType.Float32 &&
        gradient.dtype == ScalarType.Float32 && parameter.is_contiguous() && gradient.is_contiguous();

    /// <remarks>
    /// The betas come in double so that 1 - beta is taken before rounding to float, as the tensor-op form does:
    /// 1 - 0.999f is 0.00099998713, 1.3e-5 away from 0.001f.
    /// </remarks>
    public static void Adam(Tensor parameter, Tensor gradient, Tensor m, Tensor v, double beta1, double beta2, float epsilon, float stepSize)
    {
        var (b1, c1, b2, c2) = ((float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2));
        var length = (int)parameter.numel();
        var threads = Threads();
        var chunks = length < ParallelThreshold || threads == 1 ? 1 : threads * 4;
        var chunkSize = (length + chunks - 1) / chunks;
        chunkSize = (chunkSize + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;
        unsafe
        {
            var p = Pointer(parameter);
            var g = Pointer(gradient);
            var mm = Pointer(m);
            var vv = Pointer(v);
            if (chunks == 1)
            {
                AdamRange(new Span<float>(p, length), new Span<float>(g, length), new Span<float>(mm, length), new Span<float>(vv, length), b1, c1, b2, c2, epsilon, stepSize);
                return;
            }
            // On the slot's threads, unlike data preparation (Chunked.Workers): milliseconds per batch. With four slots
            // training on two cores beside busy loops, heartbeat gaps stayed under 1.8 s (LoadSpecs).
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
            {
                var start = chunk * chunkSize;
                var count = Math.Min(chunkSize, length - start);
                if (count > 0)
                    AdamRange(new Span<float>(p + start, count), new Span<float>(g + start, count), new Span<float>(mm + start, count), new Span<float>(vv + start, count), b1, c1, b2, c2, epsilon, stepSize);
            });
        }
    }

    /// <summary>
    /// The calling slot's threads: LibTorch's intra-op setting for this thread (<c>--torch-threads</c>, else the cores
    /// shared between the slots), which the fused kernels follow as LibTorch's own do.
    /// </summary>
    public static int Threads() => Math.Max(1, torch.get_num_threads());

    /// <summary>The tensor's CPU storage; valid while the tensor lives and is not resized.</summary>
    private static unsafe float* Pointer(Tensor tensor) =>
        (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

    private static void AdamRange(Span<float> p, Span<float> g, Span<float> m, Span<float> v, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float epsilon, float stepSize)
    {
        var vp = MemoryMarshal.Cast<float, Vector<float>>(p);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        var b1 = new Vector<float>(beta1);
        var c1 = new Vector<float>(oneMinusBeta1);
        var b2 = new Vector<float>(beta2);
        var c2 = new Vector<float>(oneMinusBeta2);
        var eps = new Vector<float>(epsilon);
        var step = new Vector<float>(stepSize);
        for (var i = 0; i < vp.Length; i++)
        {
            var grad = vg[i];
            var mi = vm[i] * b1 + grad * c1;
            var vi = vv[i] * b2 + grad * grad * c2;
            vm[i] = mi;
            vv[i] = vi;
            vp[i] -= step * mi / (Vector.SquareRoot(vi) + eps);
        }
        for (var i = vp.Length * Vector<float>.Count; i < p.Length; i++)
        {
            var grad = g[i];
            var mi = m[i] * beta1 + grad * oneMinusBeta1;
            var vi = v[i] * beta2 + grad * grad * oneMinusBeta2;
            m[i] = mi;
            v[i] = vi;
            p[i] -= stepSize * mi / (MathF.Sqrt(vi) + epsilon);
        }
    }
}
