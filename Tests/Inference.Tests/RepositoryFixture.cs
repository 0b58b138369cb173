using OnnxKit.Inference;

namespace OnnxKit.Tests.Inference;

/// <summary>A temporary model repository folder written by tests.</summary>
internal sealed class TempRepository : IDisposable
{
    public TempRepository() => Root = Directory.CreateTempSubdirectory("onnxkit-repo-").FullName;

    public string Root { get; }

    /// <summary>Writes a version atomically: into a hidden folder first, then renamed into place.</summary>
    public string AddVersion(string model, long version, byte[] bytes)
    {
        string modelDir = Path.Combine(Root, model);
        Directory.CreateDirectory(modelDir);
        string staging = Path.Combine(modelDir, $".staging-{version}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        File.WriteAllBytes(Path.Combine(staging, ModelRepository.ModelFileName), bytes);
        string final = Path.Combine(modelDir, version.ToString());
        Directory.Move(staging, final);
        return Path.Combine(final, ModelRepository.ModelFileName);
    }

    /// <summary>Replaces an existing version's file atomically (write beside, then rename over).</summary>
    public void ReplaceVersion(string model, long version, byte[] bytes)
    {
        string path = Path.Combine(Root, model, version.ToString(), ModelRepository.ModelFileName);
        string tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }

    public void WriteConfig(string model, string json)
    {
        Directory.CreateDirectory(Path.Combine(Root, model));
        File.WriteAllText(Path.Combine(Root, model, ModelConfig.FileName), json);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
