using GridSweep.Coordinator.Reports;
using GridSweep.TestKit;
using SkiaSharp;

namespace GridSweep.Coordinator.Tests.Reports;

/// <summary>Opens the report as a reader would, in Debian's headless Chromium, from disk.</summary>
public sealed class ReportBrowserSpecs
{
    [Fact]
    public void The_page_loads_in_Chromium_with_every_figure_decoded()
    {
        using var directory = new TempDirectory();
        var index = ReportWriter.Write(SampleRun.Create(directory.Path));

        var dom = Chromium.Run(directory, "--dump-dom", new Uri(index).AbsoluteUri);

        // The page's own script marks <body> once every <img> is complete with a natural width.
        Assert.Contains("data-figures=\"loaded\"", dom);
        Assert.Contains("data-figures-loaded=\"6\"", dom);
        Assert.DoesNotContain("<p class=\"missing\">", dom);
        foreach (var id in SampleRun.CompletedIds)
            Assert.Contains(id, dom);
    }

    [Fact]
    public void A_missing_figure_is_flagged_on_the_page()
    {
        using var directory = new TempDirectory();
        var index = ReportWriter.Write(SampleRun.Create(directory.Path));
        File.Delete(Path.Combine(Path.GetDirectoryName(index)!, "grid.png"));

        var dom = Chromium.Run(directory, "--dump-dom", new Uri(index).AbsoluteUri);

        Assert.Contains("data-figures=\"broken\"", dom);
        Assert.Contains("data-figures-loaded=\"5\"", dom);
        Assert.Contains("<p class=\"missing\">Figure not found: grid.png</p>", dom);
    }

    [Fact]
    public void A_screenshot_of_the_page_shows_the_title_and_the_curves()
    {
        using var directory = new TempDirectory();
        var index = ReportWriter.Write(SampleRun.Create(directory.Path));
        var screenshot = directory.Combine("page.png");

        Chromium.Run(directory, $"--screenshot={screenshot}", "--window-size=1200,2000", new Uri(index).AbsoluteUri);

        using var bitmap = SKBitmap.Decode(screenshot);
        Assert.True(bitmap is not null, $"Chromium wrote no readable screenshot at {screenshot}");
        Assert.Equal((1200, 2000), (bitmap.Width, bitmap.Height));
        Assert.True(SampleRun.DistinctColors(bitmap) >= 50, $"the screenshot has {SampleRun.DistinctColors(bitmap)} colours: blank page?");
        // The page itself has no blue or orange: these pixels are the first figure's curves, drawn by the browser.
        Assert.True(SampleRun.PixelsNear(bitmap, SKColor.Parse("#1f77b4")) > 300, "no blue curve in the screenshot: the figure did not render");
        Assert.True(SampleRun.PixelsNear(bitmap, SKColor.Parse("#ff7f0e")) > 300, "no orange curve in the screenshot: the figure did not render");
        Assert.True(SampleRun.PixelsNear(bitmap, new SKColor(0x22, 0x22, 0x22), top: 0, bottom: 90) > 200, "no heading at the top of the page");
    }

    private static class Chromium
    {
        /// <summary>Runs headless Chromium with a fresh profile inside <paramref name="directory"/>; returns its standard output.</summary>
        public static string Run(TempDirectory directory, params string[] arguments)
        {
            var executable = ChildProcess.FindExecutable("chromium", "chromium-browser");
            if (executable is null)
                Assert.Fail("Chromium is not installed; these tests open the report in it. Install it with: apt-get install chromium (scripts/test.sh does)");

            // Headless, no GPU, and no network of its own: the closed network here refuses Chromium's background connections.
            string[] flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + directory.Combine("chromium-profile-" + Guid.NewGuid().ToString("N"))];
            var result = ChildProcess.Run(executable, [.. flags, .. arguments], timeout: TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"Chromium exited with {result.ExitCode}: {result.Error}");
            return result.Output;
        }
    }
}
