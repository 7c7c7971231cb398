namespace GridSweep.Runtime.Files;

/// <summary>
/// A trial's kept model as two files' bytes, made on the node that trained it and written into a run folder:
/// <c>models/&lt;trial_id&gt;.safetensors</c> (the weights) and <c>models/&lt;trial_id&gt;.json</c> (what they are and how
/// to feed them). Plain bytes, so the coordinator, which has no TorchSharp, can receive and write them.
/// </summary>
public sealed record KeptModelFiles(string TrialId, byte[] Weights, byte[] Description)
{
    public const string Folder = "models";

    public static string WeightsFileName(string trialId) => $"{trialId}.safetensors";

    public static string DescriptionFileName(string trialId) => $"{trialId}.json";

    public static string WeightsPath(string runFolder, string trialId) => Path.Combine(runFolder, Folder, WeightsFileName(trialId));

    public static string DescriptionPath(string runFolder, string trialId) => Path.Combine(runFolder, Folder, DescriptionFileName(trialId));

    /// <summary>
    /// Writes both files, each atomically, into <c>&lt;runFolder&gt;/models/</c>; a model kept again (a later, better
    /// epoch) replaces both. A crash between the two writes leaves new weights beside the previous description: the
    /// weights' own metadata names their epoch, and <c>gridsweep evaluate</c> checks the two agree.
    /// </summary>
    public void WriteTo(string runFolder)
    {
        AtomicFile.Write(WeightsPath(runFolder, TrialId), Weights);
        AtomicFile.Write(DescriptionPath(runFolder, TrialId), Description);
    }
}
