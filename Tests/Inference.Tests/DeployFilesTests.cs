using System.Text.Json;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Server;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// The scale-out files under deploy/ are checked for syntax and for agreement with the code: there is no
/// container engine or cluster here, so what can be checked is that the Dockerfile's instructions are valid and
/// point at files and options that exist, and that the Kubernetes manifest parses and wires its objects to the
/// server's real port and health endpoints.
/// </summary>
[TestClass]
public sealed class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(Python.RepoRoot, "deploy");

    internal static readonly HashSet<string> Instructions = new(StringComparer.OrdinalIgnoreCase)
    {
        "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR",
        "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
    };

    /// <summary>Dockerfile instructions with continuation lines joined and comments dropped.</summary>
    internal static List<(string Keyword, string Args, int Line)> ParseDockerfile(string path)
    {
        var result = new List<(string, string, int)>();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int start = i;
            while (line.EndsWith('\\') && i + 1 < lines.Length) line = line[..^1] + " " + lines[++i].Trim();
            int space = line.IndexOf(' ');
            Assert.IsTrue(space > 0, $"{Path.GetFileName(path)}:{start + 1}: instruction without arguments: {line}");
            result.Add((line[..space], line[(space + 1)..].Trim(), start + 1));
        }
        return result;
    }

    internal static void AssertCopySourcesExist(List<(string Keyword, string Args, int Line)> steps, string file)
    {
        foreach (var (_, args, line) in steps.Where(s => s.Keyword == "COPY" && !s.Args.StartsWith("--from", StringComparison.Ordinal)))
            foreach (var source in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
                Assert.IsTrue(File.Exists(Path.Combine(Python.RepoRoot, source)) || Directory.Exists(Path.Combine(Python.RepoRoot, source)),
                    $"{file}:{line}: COPY source '{source}' does not exist in the repository");
    }

    private static void AssertSelectorsMatchThePods(Dictionary<string, JsonElement> docs)
    {
        var deployment = docs["Deployment"].GetProperty("spec");
        var podLabels = deployment.GetProperty("template").GetProperty("metadata").GetProperty("labels");
        var selectors = new List<JsonElement> { deployment.GetProperty("selector").GetProperty("matchLabels"), docs["Service"].GetProperty("spec").GetProperty("selector") };
        if (docs.TryGetValue("PodDisruptionBudget", out var pdb)) selectors.Add(pdb.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels"));
        foreach (var selector in selectors)
            foreach (var label in selector.EnumerateObject())
                Assert.AreEqual(label.Value.GetString(), podLabels.GetProperty(label.Name).GetString(), $"selector {label.Name} does not match the pod labels");
    }

    [TestMethod]
    public void DockerfileIsValidAndAgreesWithTheServer()
    {
        var steps = ParseDockerfile(Path.Combine(Deploy, "Dockerfile"));
        foreach (var (keyword, _, line) in steps)
            Assert.IsTrue(Instructions.Contains(keyword), $"Dockerfile:{line}: unknown instruction '{keyword}'");
        int firstFrom = steps.FindIndex(s => s.Keyword == "FROM");
        Assert.IsTrue(firstFrom >= 0 && steps.Take(firstFrom).All(s => s.Keyword == "ARG"), "only ARG may come before the first FROM");

        // Every COPY from the build context names something in the repository, and the .dockerignore keeps build outputs out.
        AssertCopySourcesExist(steps, "Dockerfile");
        StringAssert.Contains(File.ReadAllText(Path.Combine(Python.RepoRoot, ".dockerignore")), "**/bin/");

        // The published project exists, is an executable, and only needs what the image copies.
        var publish = steps.Single(s => s.Keyword == "RUN" && s.Args.Contains("dotnet publish", StringComparison.Ordinal));
        string project = publish.Args.Split(' ').Single(a => a.EndsWith(".csproj", StringComparison.Ordinal));
        var csproj = XDocument.Load(Path.Combine(Python.RepoRoot, project));
        string assembly = csproj.Descendants("AssemblyName").Single().Value;
        Assert.AreEqual("Exe", csproj.Descendants("OutputType").Single().Value);
        foreach (var reference in csproj.Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value))
        {
            string full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.Combine(Python.RepoRoot, project))!, reference));
            StringAssert.StartsWith(Path.GetRelativePath(Python.RepoRoot, full), "Inference", $"the image copies only Inference/, but {project} references {reference}");
        }

        // ENTRYPOINT (exec form) runs that assembly with options the server accepts, bound to all interfaces on the exposed port.
        var entry = JsonSerializer.Deserialize<string[]>(steps.Single(s => s.Keyword == "ENTRYPOINT").Args)!;
        Assert.AreEqual("dotnet", entry[0]);
        Assert.AreEqual(assembly + ".dll", entry[1]);
        var options = ServerOptions.Parse(entry[2..]);
        Assert.AreEqual("0.0.0.0", options.Host, "a server in a container must not bind loopback only");
        Assert.AreEqual("/models", options.ModelRepository);
        var exposed = steps.Single(s => s.Keyword == "EXPOSE").Args.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.IsNotNull(options.MetricsPort, "the image serves metrics on their own port, so scraping works with an API key");
        CollectionAssert.AreEquivalent(new[] { options.Port, options.MetricsPort.Value }, exposed);
        // Publishing for one runtime keeps the other platforms' ONNX Runtime natives out of the image.
        StringAssert.Contains(publish.Args, "-r linux-x64");
        Assert.IsTrue(steps.Any(s => s.Keyword == "USER"), "the image should not run as root");
    }

    [TestMethod]
    public async Task KubernetesManifestParsesAndPointsAtRealEndpoints()
    {
        Python.Require("yaml");
        string manifest = Path.Combine(Deploy, "kubernetes", "onnxkit-server.yaml");
        string json = Python.RunCode($"import json, yaml; print(json.dumps(list(yaml.safe_load_all(open({JsonSerializer.Serialize(manifest)})))))", 120).Stdout;
        var docs = JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(d => d.GetProperty("kind").GetString()!);
        CollectionAssert.AreEquivalent(new[] { "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget" }, docs.Keys.ToArray());
        Assert.AreEqual("policy/v1", docs["PodDisruptionBudget"].GetProperty("apiVersion").GetString());
        Assert.AreEqual("apps/v1", docs["Deployment"].GetProperty("apiVersion").GetString());
        Assert.AreEqual("v1", docs["Service"].GetProperty("apiVersion").GetString());
        Assert.AreEqual("autoscaling/v2", docs["HorizontalPodAutoscaler"].GetProperty("apiVersion").GetString());

        var deployment = docs["Deployment"].GetProperty("spec");
        AssertSelectorsMatchThePods(docs);

        var container = deployment.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        var port = container.GetProperty("ports")[0];
        var options = ServerOptions.Parse(container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.AreEqual(options.Port, port.GetProperty("containerPort").GetInt32());
        Assert.AreEqual("0.0.0.0", options.Host);
        Assert.AreEqual(port.GetProperty("name").GetString(), docs["Service"].GetProperty("spec").GetProperty("ports")[0].GetProperty("targetPort").GetString());
        Assert.IsTrue(container.GetProperty("resources").GetProperty("requests").TryGetProperty("cpu", out _), "CPU autoscaling needs a CPU request");
        // A budget that allows no eviction would block every node drain; one that keeps none protects nothing.
        int minAvailable = docs["PodDisruptionBudget"].GetProperty("spec").GetProperty("minAvailable").GetInt32();
        Assert.IsTrue(minAvailable >= 1 && minAvailable < deployment.GetProperty("replicas").GetInt32(), $"minAvailable {minAvailable}");
        var annotations = deployment.GetProperty("template").GetProperty("metadata").GetProperty("annotations");
        Assert.AreEqual(options.MetricsPort.ToString(), annotations.GetProperty("prometheus.io/port").GetString(), "Prometheus scrapes the metrics port");
        Assert.IsTrue(container.GetProperty("ports").EnumerateArray().Any(p => p.GetProperty("containerPort").GetInt32() == options.MetricsPort), "the metrics port is a container port");

        var hpaTarget = docs["HorizontalPodAutoscaler"].GetProperty("spec").GetProperty("scaleTargetRef");
        Assert.AreEqual("Deployment", hpaTarget.GetProperty("kind").GetString());
        Assert.AreEqual(docs["Deployment"].GetProperty("metadata").GetProperty("name").GetString(), hpaTarget.GetProperty("name").GetString());

        // The probe paths are endpoints the real server answers with 200, with an API key set as in production.
        using var repo = new TempRepository();
        repo.AddVersion("gemm", 1, TestModels.Gemm());
        int metricsPort = ServerMetricsTests.FreePort();
        await using var s = await ServerFixture.StartAsync(repo, o => { o.ApiKey = "from-the-secret"; o.MetricsPort = metricsPort; });
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            string path = container.GetProperty(probe).GetProperty("httpGet").GetProperty("path").GetString()!;
            Assert.AreEqual(200, (await s.GetAsync(path.TrimStart('/'))).Status, $"{probe} path {path}");
        }
        string metricsPath = annotations.GetProperty("prometheus.io/path").GetString()!;
        using var scrape = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/") };
        using var r = await scrape.GetAsync(metricsPath.TrimStart('/'));
        Assert.AreEqual(System.Net.HttpStatusCode.OK, r.StatusCode, "prometheus scrape path on the metrics port, without the key");
    }

    [TestMethod]
    public void GpuDockerfileBuildsTheCudaFlavourOnACuda13Cudnn9Image()
    {
        var steps = ParseDockerfile(Path.Combine(Deploy, "Dockerfile.gpu"));
        foreach (var (keyword, _, line) in steps)
            Assert.IsTrue(Instructions.Contains(keyword), $"Dockerfile.gpu:{line}: unknown instruction '{keyword}'");
        AssertCopySourcesExist(steps, "Dockerfile.gpu");
        // The switch lives in Directory.Build.targets, so the build stage must copy it.
        StringAssert.Contains(steps.First(s => s.Keyword == "COPY").Args, "Directory.Build.targets");
        var publish = steps.Single(s => s.Keyword == "RUN" && s.Args.Contains("dotnet publish", StringComparison.Ordinal)).Args;
        StringAssert.Contains(publish, "-p:OnnxKitGpu=true");
        StringAssert.Contains(publish, "--self-contained", "the CUDA base image has no .NET runtime");

        // The runtime stage is NVIDIA's CUDA 13 image with cuDNN 9 (what Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 links against).
        var buildArgs = steps.Where(s => s.Keyword == "ARG").Select(s => s.Args.Split('=', 2)).Where(a => a.Length == 2).ToDictionary(a => a[0], a => a[1]);
        string runtimeImage = steps.Where(s => s.Keyword == "FROM").Last().Args;
        if (runtimeImage.StartsWith("${", StringComparison.Ordinal)) runtimeImage = buildArgs[runtimeImage[2..^1]];
        StringAssert.Matches(runtimeImage, new System.Text.RegularExpressions.Regex(@"^nvidia/cuda:13\.[0-9.]+-cudnn-runtime-"));

        // The self-contained apphost of the server, with options the server accepts, on the exposed port, not as root.
        string project = publish.Split(' ').Single(a => a.EndsWith(".csproj", StringComparison.Ordinal));
        string assembly = XDocument.Load(Path.Combine(Python.RepoRoot, project)).Descendants("AssemblyName").Single().Value;
        var entry = JsonSerializer.Deserialize<string[]>(steps.Single(s => s.Keyword == "ENTRYPOINT").Args)!;
        Assert.AreEqual("./" + assembly, entry[0]);
        var options = ServerOptions.Parse(entry[1..]);
        Assert.AreEqual("0.0.0.0", options.Host);
        Assert.AreEqual(options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), steps.Single(s => s.Keyword == "EXPOSE").Args);
        Assert.AreNotEqual("0", steps.Single(s => s.Keyword == "USER").Args.Trim(), "the image should not run as root");
    }

    [TestMethod]
    public void GpuKubernetesManifestRequestsAGpuAndProbesWhatTheCpuOneProbes()
    {
        Python.Require("yaml");
        JsonElement Load(string file) => JsonDocument.Parse(Python.RunCode(
            $"import json, yaml; print(json.dumps(list(yaml.safe_load_all(open({JsonSerializer.Serialize(Path.Combine(Deploy, "kubernetes", file))})))))", 120).Stdout).RootElement;
        var docs = Load("onnxkit-server-gpu.yaml").EnumerateArray().ToDictionary(d => d.GetProperty("kind").GetString()!);
        CollectionAssert.AreEquivalent(new[] { "Deployment", "Service" }, docs.Keys.ToArray());
        var deployment = docs["Deployment"].GetProperty("spec");
        AssertSelectorsMatchThePods(docs);
        var container = deployment.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.AreEqual(1, container.GetProperty("resources").GetProperty("limits").GetProperty("nvidia.com/gpu").GetInt32(), "one GPU per replica");
        var options = ServerOptions.Parse(container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.AreEqual(options.Port, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.AreEqual("0.0.0.0", options.Host);
        Assert.AreEqual(container.GetProperty("ports")[0].GetProperty("name").GetString(),
            docs["Service"].GetProperty("spec").GetProperty("ports")[0].GetProperty("targetPort").GetString());
        // The probe paths are the CPU manifest's, which KubernetesManifestParsesAndPointsAtRealEndpoints checks against the real server.
        var cpu = Load("onnxkit-server.yaml").EnumerateArray().Single(d => d.GetProperty("kind").GetString() == "Deployment")
            .GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            Assert.AreEqual(cpu.GetProperty(probe).GetProperty("httpGet").GetProperty("path").GetString(),
                container.GetProperty(probe).GetProperty("httpGet").GetProperty("path").GetString(), probe);
    }
}
