"""A plugin that fails to import: the manager must report it and load the others."""

raise ImportError("demo plugin deliberately broken (missing dependency 'glassmelt_sdk')")
