using System.Collections;

namespace OnnxKit.Inference;

/// <summary>The outputs of one prediction, copied to host arrays, by output name in the model's order.</summary>
public sealed class Prediction : IReadOnlyDictionary<string, TensorValue>
{
    private readonly string[] _names;
    private readonly TensorValue[] _values;

    internal Prediction(string[] names, TensorValue[] values) { _names = names; _values = values; }

    /// <summary>The output named <paramref name="name"/>; throws naming the outputs there are.</summary>
    public TensorValue this[string name] => TryGetValue(name, out var v) ? v
        : throw new KeyNotFoundException($"the prediction has no output '{name}'; outputs: {string.Join(", ", _names)}");

    /// <summary>The output at position <paramref name="index"/>.</summary>
    public TensorValue this[int index] => _values[index];

    /// <summary>An output's values as float32.</summary>
    public float[] Floats(string name) => this[name].ToFloats();

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _names;
    /// <inheritdoc/>
    public IEnumerable<TensorValue> Values => _values;
    /// <inheritdoc/>
    public int Count => _names.Length;
    /// <inheritdoc/>
    public bool ContainsKey(string key) => Array.IndexOf(_names, key) >= 0;
    /// <inheritdoc/>
    public bool TryGetValue(string key, out TensorValue value)
    {
        int i = Array.IndexOf(_names, key);
        value = i >= 0 ? _values[i] : null!;
        return i >= 0;
    }
    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, TensorValue>> GetEnumerator()
    {
        for (int i = 0; i < _names.Length; i++) yield return new(_names[i], _values[i]);
    }
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
