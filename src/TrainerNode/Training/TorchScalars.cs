using TorchSharp;

namespace GridSweep.TrainerNode.Training;

/// <summary>
/// Scalars that live as long as the process. TorchSharp 0.107 hands a temporary <see cref="Scalar"/>'s handle
/// to native code without keeping the object alive, so the garbage collector may free it mid-call
/// (seen as SIGABRT in THSTensor_add). Training code therefore never lets a number convert implicitly:
/// it passes one of these, or a <c>using</c> local that outlives the call.
/// </summary>
internal static class TorchScalars
{
    public static readonly Scalar Zero = 0.0f.ToScalar();
    public static readonly Scalar One = 1.0f.ToScalar();
}
