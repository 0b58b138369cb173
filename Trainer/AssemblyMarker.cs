namespace OnnxKit.Training; internal static class AssemblyMarker { }
