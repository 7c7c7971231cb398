using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GridSweep.Runtime.CommandLine;
using GridSweep.TestKit;

namespace GridSweep.Coordinator.Tests.CommandLine;

/// <summary>
/// The TLS flags of the real programs, run as a user would: a node that binds a non-loopback address without TLS is
/// refused unless it acknowledges it, and a certificate that cannot be used exits 2 naming its file and setting,
/// never printing the password. Certificates come from <c>gridsweep certs</c>.
/// </summary>
public sealed class TlsCommandLineSpecs : IDisposable
{
    private const string Password = "correct-horse-battery-staple";
    private const string WrongPassword = "not-the-password-4711";

    private readonly TempDirectory directory = new("gridsweep-tls-cli");
    private readonly string spec;
    private readonly string certs;

    public TlsCommandLineSpecs()
    {
        spec = directory.Combine("cli.yaml");
        File.WriteAllText(spec, """
            name: cli-study
            dataset: {name: imdb, num_words: 1000}
            training: {epochs: 1, batch_size: 512, seeds: [1]}
            grid:
              model:
                tiny: {hidden: [4]}
            """);
        certs = directory.Combine("certs");
        var made = GridSweepCli.Run("certs", "--out", certs, "--node", "coordinator", "--node", "trainer-1=trainer-1.example.org,10.0.0.7");
        Assert.True(made.ExitCode == 0, made.Report);
    }

    public void Dispose() => directory.Dispose();

    private string Cert(string name) => Path.Combine(certs, name);

    private ProcessResult Coordinator(params string[] extra) =>
        GridSweepCli.Run(["coordinator", spec, "--out", directory.Combine("runs"), "--plain", .. extra]);

    [Fact]
    public void Certs_writes_a_ca_and_node_certificates_it_signed_with_keys_readable_by_their_owner_only()
    {
        foreach (var key in new[] { "ca.key", "coordinator.key", "trainer-1.key" })
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Cert(key)));
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Cert("ca.crt"));
        using var node = X509Certificate2.CreateFromPemFile(Cert("trainer-1.crt"), Cert("trainer-1.key"));
        Assert.True(node.HasPrivateKey);
        Assert.Equal(ca.Subject, node.Issuer);
        var names = node.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["trainer-1", "trainer-1.example.org"], names.EnumerateDnsNames());
        Assert.Equal(["10.0.0.7"], names.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Empty(Directory.GetFiles(certs, "*.tmp"));

        // Run again in the same folder: the CA is kept and signs the new node.
        var again = GridSweepCli.Run("certs", "--out", certs, "--node", "trainer-2");
        Assert.True(again.ExitCode == 0, again.Report);
        Assert.DoesNotContain("ca.crt", again.Output);
        using var second = X509CertificateLoader.LoadCertificateFromFile(Cert("trainer-2.crt"));
        Assert.Equal(ca.Subject, second.Issuer);
    }

    [Fact]
    public void A_coordinator_or_trainer_binding_a_non_loopback_address_without_tls_exits_2_saying_how_to_set_tls_up_or_acknowledge()
    {
        var coordinator = Coordinator("--host", "0.0.0.0");
        Assert.True(coordinator.ExitCode == ExitCodes.BadInput, coordinator.Report);
        Assert.Contains("--host: '0.0.0.0' is not a loopback address", coordinator.Error);
        Assert.Contains("--tls-certificate", coordinator.Error);
        Assert.Contains("--insecure", coordinator.Error);
        Assert.False(Directory.Exists(directory.Combine("runs")), "a refused command line must not create the results folder");

        var trainer = GridSweepCli.RunProgram(GridSweepCli.TrainerNode, directory.Path, new Dictionary<string, string>(),
            "--seed-node", "127.0.0.1:4053", "--host", "10.1.2.3", "--dataset", "none");
        Assert.True(trainer.ExitCode == ExitCodes.BadInput, trainer.Report);
        Assert.Contains("--host: '10.1.2.3' is not a loopback address", trainer.Error);
    }

    [Fact]
    public void With_insecure_a_coordinator_binds_a_non_loopback_address_without_tls()
    {
        using var coordinator = GridSweepCli.Start("insecure", GridSweepCli.Full, new Dictionary<string, string>(),
            "coordinator", spec, "--host", "0.0.0.0", "--public-host", "127.0.0.1", "--port", $"{Loopback.FreePort()}", "--out", directory.Combine("runs"), "--plain", "--insecure");
        coordinator.WaitFor(@"coordinator at akka\.tcp://gridsweep@127\.0\.0\.1:\d+$", NodeProcessTimeout);
        coordinator.WaitFor(@"Remoting now listens on addresses", NodeProcessTimeout);
    }

    [Fact]
    public void Certificate_files_that_cannot_be_used_exit_2_naming_the_file_and_setting()
    {
        var missing = Coordinator("--tls-certificate", Cert("nowhere.crt"), "--tls-key", Cert("coordinator.key"), "--tls-ca", Cert("ca.crt"));
        Assert.True(missing.ExitCode == ExitCodes.BadInput, missing.Report);
        Assert.Contains($"--tls-certificate: '{Cert("nowhere.crt")}' does not exist (setting GridSweep:Tls:Certificate, environment GridSweep__Tls__Certificate)", missing.Error);

        var otherKey = Coordinator("--tls-certificate", Cert("coordinator.crt"), "--tls-key", Cert("trainer-1.key"), "--tls-ca", Cert("ca.crt"));
        Assert.True(otherKey.ExitCode == ExitCodes.BadInput, otherKey.Report);
        Assert.Contains($"--tls-certificate: '{Cert("coordinator.crt")}' cannot be loaded with --tls-key '{Cert("trainer-1.key")}'", otherKey.Error);

        var noTrust = Coordinator("--tls-certificate", Cert("coordinator.crt"), "--tls-key", Cert("coordinator.key"));
        Assert.True(noTrust.ExitCode == ExitCodes.BadInput, noTrust.Report);
        Assert.Contains("--tls-ca: needed with --tls-certificate", noTrust.Error);

        var other = directory.Combine("other");
        Assert.Equal(0, GridSweepCli.Run("certs", "--out", other, "--node", "stranger").ExitCode);
        var wrongCa = Coordinator("--tls-certificate", Path.Combine(other, "stranger.crt"), "--tls-key", Path.Combine(other, "stranger.key"), "--tls-ca", Cert("ca.crt"));
        Assert.True(wrongCa.ExitCode == ExitCodes.BadInput, wrongCa.Report);
        Assert.Contains($"is not signed by --tls-ca '{Cert("ca.crt")}', so peers would refuse it", wrongCa.Error);

        var expired = directory.Combine("expired.crt");
        File.WriteAllText(expired, SignedByCa("expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1), out var expiredKey));
        var expiredKeyPath = directory.Combine("expired.key");
        File.WriteAllText(expiredKeyPath, expiredKey);
        var tooOld = Coordinator("--tls-certificate", expired, "--tls-key", expiredKeyPath, "--tls-ca", Cert("ca.crt"));
        Assert.True(tooOld.ExitCode == ExitCodes.BadInput, tooOld.Report);
        Assert.Contains($"--tls-certificate: '{expired}' expired on", tooOld.Error);
        Assert.False(Directory.Exists(directory.Combine("runs")), "a refused command line must not create the results folder");
    }

    [Fact]
    public void A_pkcs12_file_with_the_wrong_password_exits_2_naming_the_file_and_never_prints_a_password()
    {
        var p12 = directory.Combine("coordinator.p12");
        using (var certificate = X509Certificate2.CreateFromPemFile(Cert("coordinator.crt"), Cert("coordinator.key")))
            File.WriteAllBytes(p12, certificate.Export(X509ContentType.Pkcs12, Password));
        var wrong = directory.Combine("wrong-password");
        File.WriteAllText(wrong, WrongPassword + "\n");

        var fromFile = Coordinator("--tls-certificate", p12, "--tls-password-file", wrong, "--tls-ca", Cert("ca.crt"));
        Assert.True(fromFile.ExitCode == ExitCodes.BadInput, fromFile.Report);
        Assert.Contains($"--tls-certificate: '{p12}' cannot be loaded (wrong password", fromFile.Error);
        Assert.DoesNotContain(WrongPassword, fromFile.All);

        var fromEnvironment = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, new Dictionary<string, string> { ["GRIDSWEEP_TLS_PASSWORD"] = WrongPassword },
            "coordinator", spec, "--out", directory.Combine("runs"), "--tls-certificate", p12, "--tls-ca", Cert("ca.crt"));
        Assert.True(fromEnvironment.ExitCode == ExitCodes.BadInput, fromEnvironment.Report);
        Assert.DoesNotContain(WrongPassword, fromEnvironment.All);

        // The right password from the environment: status loads the certificate and asks over TLS (nobody answers here).
        var status = GridSweepCli.RunProgram(GridSweepCli.Full, directory.Path, new Dictionary<string, string> { ["GRIDSWEEP_TLS_PASSWORD"] = Password },
            "status", "--port", $"{Loopback.FreePort()}", "--timeout", "2", "--tls-certificate", p12, "--tls-ca", Cert("ca.crt"));
        Assert.True(status.ExitCode == ExitCodes.BadInput, status.Report);
        Assert.Contains("no answer from a coordinator at akka.ssl.tcp://gridsweep@127.0.0.1:", status.Error);
        Assert.DoesNotContain(Password, status.All);
    }

    private static readonly TimeSpan NodeProcessTimeout = TimeSpan.FromMinutes(5);

    /// <summary>A PEM certificate for <paramref name="name"/> signed by the folder's CA, valid in the given window; its key as PEM.</summary>
    private string SignedByCa(string name, DateTimeOffset notBefore, DateTimeOffset notAfter, out string keyPem)
    {
        using var ca = X509Certificate2.CreateFromPemFile(Cert("ca.crt"), Cert("ca.key"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        // Signed with the CA's key directly: Create(ca, ...) refuses a window that starts before the CA's own.
        using var caKey = ca.GetECDsaPrivateKey()!;
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, [1, 2, 3, 4]);
        keyPem = key.ExportPkcs8PrivateKeyPem();
        return certificate.ExportCertificatePem();
    }
}
