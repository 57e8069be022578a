{
  "targets": [
    {
      "target_name": "decode",
      "sources": ["decode.c"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "include_dirs": [
        "<!@(pkg-config --cflags-only-I libavformat libavcodec libavutil libswresample | sed 's/-I//g')"
      ],
      "libraries": ["<!@(pkg-config --libs libavformat libavcodec libavutil libswresample)"]
    }
  ]
}
