"""One test-only library and one orbit_sim binary per planted bug."""

def planted_bug_binaries(bugs):
    for bug in bugs:
        native.cc_library(
            name = bug,
            testonly = True,
            srcs = [bug + ".cc"],
            deps = ["//runtime/env"],
            alwayslink = True,
            visibility = ["//visibility:public"],
        )
        native.cc_binary(
            name = "orbit_sim_bug_" + bug,
            testonly = True,
            srcs = ["//tools:orbit_sim.cc"],
            deps = ["//tools:orbit_sim_deps", ":" + bug],
            visibility = ["//visibility:public"],
        )
