namespace OnnxKit.Inference;

/// <summary>The state of a model version in a repository.</summary>
public enum ModelState
{
    /// <summary>Being loaded.</summary>
    Loading,
    /// <summary>Loaded and answering requests.</summary>
    Ready,
    /// <summary>Could not be loaded; see <see cref="ModelVersion.Error"/>.</summary>
    Unavailable,
}

/// <summary>One row of the repository index.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Version">Version number, or null for a model folder without a usable version.</param>
/// <param name="State">Loading, ready or unavailable.</param>
/// <param name="Reason">Why it is unavailable; for a ready version, a failed reload it survived (else empty).</param>
public sealed record ModelStatus(string Name, long? Version, ModelState State, string Reason);
