using System.Text.Json;
using System.Xml.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using OnnxKit.Tests.Support;

namespace OnnxKit.Tests.Inference;

/// <summary>
/// The multi-node training files under deploy/ (no cluster here): the MPIJob parses as the MPI Operator's v2beta1, its
/// launcher starts as many ranks as the workers offer slots, with the image that deploy/Dockerfile.train builds, whose
/// sshd, user and published command line agree with what the manifest runs.
/// </summary>
[TestClass]
public sealed class MpiJobManifestTests
{
    private static readonly string Deploy = Path.Combine(Python.RepoRoot, "deploy");

    [TestMethod]
    public void MpiJobStartsOneTrainRankPerWorkerSlotFromTheTrainingImage()
    {
        Python.Require("yaml");
        string manifest = Path.Combine(Deploy, "kubernetes", "onnxkit-train-mpijob.yaml");
        var docs = JsonDocument.Parse(Python.RunCode($"import json, yaml; print(json.dumps(list(yaml.safe_load_all(open({JsonSerializer.Serialize(manifest)})))))", 120).Stdout)
            .RootElement.EnumerateArray().ToDictionary(d => d.GetProperty("kind").GetString()!);
        CollectionAssert.AreEquivalent(new[] { "MPIJob", "PersistentVolumeClaim" }, docs.Keys.ToArray());
        var job = docs["MPIJob"];
        Assert.AreEqual("kubeflow.org/v2beta1", job.GetProperty("apiVersion").GetString());
        var spec = job.GetProperty("spec");
        Assert.AreEqual("OpenMPI", spec.GetProperty("mpiImplementation").GetString());
        var launcher = spec.GetProperty("mpiReplicaSpecs").GetProperty("Launcher");
        var worker = spec.GetProperty("mpiReplicaSpecs").GetProperty("Worker");
        Assert.AreEqual(1, launcher.GetProperty("replicas").GetInt32());
        JsonElement Container(JsonElement role) => role.GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        string[] Command(JsonElement role) => Container(role).GetProperty("command").EnumerateArray().Select(a => a.GetString()!).ToArray();

        // mpirun starts workers × slots ranks of `onnxkit train`, in data-parallel mode.
        var run = Command(launcher);
        Assert.AreEqual("mpirun", run[0]);
        int ranks = int.Parse(run[Array.IndexOf(run, "-np") + 1]);
        Assert.AreEqual(worker.GetProperty("replicas").GetInt32() * spec.GetProperty("slotsPerWorker").GetInt32(), ranks, "-np = worker replicas × slotsPerWorker");
        int dll = Array.FindIndex(run, a => a.EndsWith(".dll", StringComparison.Ordinal));
        Assert.AreEqual("train", run[dll + 1]);
        Assert.AreEqual("mpi", run[Array.IndexOf(run, "--distributed") + 1]);
        Assert.AreEqual(Container(launcher).GetProperty("image").GetString(), Container(worker).GetProperty("image").GetString(), "one image for both roles");

        // The run folder is on a volume every pod mounts from one ReadWriteMany claim (every rank reads a checkpoint to resume).
        string output = run[Array.IndexOf(run, "--out") + 1];
        foreach (var role in new[] { launcher, worker })
        {
            var mount = Container(role).GetProperty("volumeMounts").EnumerateArray().Single(m => output.StartsWith(m.GetProperty("mountPath").GetString()! + "/", StringComparison.Ordinal));
            var volume = role.GetProperty("template").GetProperty("spec").GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == mount.GetProperty("name").GetString());
            Assert.AreEqual(docs["PersistentVolumeClaim"].GetProperty("metadata").GetProperty("name").GetString(), volume.GetProperty("persistentVolumeClaim").GetProperty("claimName").GetString());
        }
        CollectionAssert.Contains(docs["PersistentVolumeClaim"].GetProperty("spec").GetProperty("accessModes").EnumerateArray().Select(a => a.GetString()).ToList(), "ReadWriteMany");

        // The image: a valid Dockerfile that publishes the CLI to where mpirun runs it, with Open MPI and the workers' sshd.
        var steps = DeployFilesTests.ParseDockerfile(Path.Combine(Deploy, "Dockerfile.train"));
        foreach (var (keyword, _, line) in steps)
            Assert.IsTrue(DeployFilesTests.Instructions.Contains(keyword), $"Dockerfile.train:{line}: unknown instruction '{keyword}'");
        DeployFilesTests.AssertCopySourcesExist(steps, "Dockerfile.train");
        var publish = steps.Single(s => s.Keyword == "RUN" && s.Args.Contains("dotnet publish", StringComparison.Ordinal)).Args.Split(' ');
        string project = publish.Single(a => a.EndsWith(".csproj", StringComparison.Ordinal));
        string assembly = XDocument.Load(Path.Combine(Python.RepoRoot, project)).Descendants("AssemblyName").Single().Value;
        Assert.AreEqual($"{publish[Array.IndexOf(publish, "-o") + 1]}/{assembly}.dll", run[dll], "mpirun runs the published CLI");
        StringAssert.Contains(steps.Single(s => s.Keyword == "RUN" && s.Args.Contains("apt-get", StringComparison.Ordinal)).Args, "openmpi-bin");

        // Workers run sshd on the config the image copies, as the user whose home holds the keys the operator mounts.
        var sshd = Command(worker);
        string config = sshd[Array.IndexOf(sshd, "-f") + 1];
        var copy = steps.Single(s => s.Keyword == "COPY" && s.Args.EndsWith(" " + config, StringComparison.Ordinal)).Args.Split(' ')[0];
        var authorized = File.ReadAllLines(Path.Combine(Python.RepoRoot, copy)).Single(l => l.StartsWith("AuthorizedKeysFile", StringComparison.Ordinal)).Split(' ')[1];
        Assert.AreEqual(spec.GetProperty("sshAuthMountPath").GetString(), Path.GetDirectoryName(authorized), "sshd reads the keys where the operator mounts them");
        Assert.AreEqual("mpiuser", steps.Last(s => s.Keyword == "USER").Args);
        StringAssert.Contains(steps.Single(s => s.Keyword == "RUN" && s.Args.Contains("useradd", StringComparison.Ordinal)).Args,
            $"--uid {worker.GetProperty("template").GetProperty("spec").GetProperty("securityContext").GetProperty("runAsUser").GetInt32()} mpiuser");
    }
}
