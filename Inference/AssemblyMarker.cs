namespace OnnxKit.Inference; internal static class AssemblyMarker { }
