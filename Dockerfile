# PostgreSQL with pg_tviews, jsonb_ivm and pg_ivm: a drop-in replacement for postgres:17 (or
# postgres:16, postgres:18: the base image's major is the one built for).
#
#   docker build -t pg_tviews:17 .                        compile everything (needs internet)
#   docker build -t pg_tviews:18 --build-arg BASE_IMAGE=postgres:18 .
#   docker build -t pg_tviews:17 --build-arg ARTIFACTS=prebuilt .
#                                     use docker/prebuilt/, staged by docker/build-artifacts.sh
#
# Needs BuildKit (the default builder of current Docker; DOCKER_BUILDKIT=1 on Docker 20.10):
# only the artifact stage that ARTIFACTS names is built. Details: docs/docker.md.

# The base of every stage; the runtime image adds to it only the extensions' files. Its major
# comes from the environment variable PG_MAJOR that the official images set (the build argument
# PG_MAJOR names it for a base image without it).
ARG BASE_IMAGE=postgres:17
# Where the extensions' files come from: "build" (the build stage below) or "prebuilt".
ARG ARTIFACTS=build

# --- build: compile both extensions in release mode and pg_ivm from upstream ---------------
FROM ${BASE_IMAGE} AS build
ARG PG_MAJOR
ARG RUST_VERSION=1.95.0
ARG PGRX_VERSION=0.18.1
ARG PG_IVM_TAG=v1.15
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH

# The server headers and PGXS come from the base image's own apt sources (PGDG in the official
# image). Unpinned on purpose: headers of any N.x build extensions for every N.x server.
# hadolint ignore=DL3008
RUN if [ -z "${PG_MAJOR}" ] || [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then \
        echo "ERROR: no PostgreSQL server in /usr/lib/postgresql/${PG_MAJOR:-<PG_MAJOR unset>}/bin of the base image: pass --build-arg PG_MAJOR=<its major> (16, 17 or 18)" >&2; \
        exit 1; \
    fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
        binutils build-essential ca-certificates clang curl git libclang-dev libssl-dev pkg-config \
        "postgresql-server-dev-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*

# The toolchain and cargo-pgrx are pinned: pgrx 0.18.1 is the last release rustc 1.95 builds.
# cargo-pgrx is a debug build: it only drives cargo and the compiler, and compiles twice as fast.
RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
        | sh -s -- -y --no-modify-path --profile minimal --default-toolchain "${RUST_VERSION}" \
 && cargo install cargo-pgrx --version "${PGRX_VERSION}" --locked --debug \
 && cargo pgrx init "--pg${PG_MAJOR}=/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"

# pg_ivm, for the benchmark's side-by-side comparison: upstream at a pinned release tag, built
# with PGXS and installed into this stage's PostgreSQL, where build-artifacts.sh picks it up.
# with_llvm=no: no JIT bitcode (the image ships none), so no need for PGXS's exact clang version.
RUN git clone --quiet --depth 1 --branch "${PG_IVM_TAG}" https://github.com/sraoss/pg_ivm.git /tmp/pg_ivm \
 && make -C /tmp/pg_ivm -j"$(nproc)" with_llvm=no PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && make -C /tmp/pg_ivm install with_llvm=no PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && rm -rf /tmp/pg_ivm

# Crates are fetched from the manifests alone (empty crate roots stand in for the sources),
# so this layer survives any source change; the build below then runs offline. Only the
# build platform's crates: 175 MB instead of 480 MB with every platform's.
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/jsonb_ivm_core/Cargo.toml crates/jsonb_ivm_core/
COPY crates/tviews_core/Cargo.toml crates/tviews_core/
COPY jsonb_ivm/Cargo.toml jsonb_ivm/
COPY pg_tviews/Cargo.toml pg_tviews/
RUN for crate in crates/jsonb_ivm_core crates/tviews_core jsonb_ivm pg_tviews; do \
        mkdir -p "$crate/src" && touch "$crate/src/lib.rs"; \
    done \
 && cargo fetch --locked --target "$(rustc -vV | sed -n 's/^host: //p')"

# The same script the host uses for the prebuilt artifacts (scripts/docker_test.sh). The
# target directory is a build cache, kept between builds but never part of a layer.
COPY . .
RUN --mount=type=cache,id=pg_tviews-target,target=/src/target \
    CARGO_NET_OFFLINE=true docker/build-artifacts.sh \
        --pg-config "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" --out /artifacts --pg-ivm require

# --- artifacts: the staged files only, from one source or the other ------------------------
FROM scratch AS artifacts-build
COPY --from=build /artifacts/ /artifacts/

FROM scratch AS artifacts-prebuilt
COPY docker/prebuilt/ /artifacts/

# A stage of this file, not a registry image, so it has no tag to pin.
# hadolint ignore=DL3006
FROM artifacts-${ARTIFACTS} AS artifacts

# --- runtime: the base image plus the stripped libraries, control and SQL files ------------
# No ENTRYPOINT, CMD, USER or VOLUME here: the base image's own stay in force, so this is a
# drop-in replacement for it (POSTGRES_PASSWORD, /docker-entrypoint-initdb.d, PGDATA volume).
FROM ${BASE_IMAGE}
ARG PG_MAJOR
LABEL org.opencontainers.image.title="pg_tviews" \
      org.opencontainers.image.description="PostgreSQL ${PG_MAJOR} with pg_tviews, jsonb_ivm and pg_ivm" \
      org.opencontainers.image.licenses="PostgreSQL" \
      org.opencontainers.image.source="https://github.com/pg-tviews/pg_tviews"

COPY --from=artifacts /artifacts/lib/ /usr/lib/postgresql/${PG_MAJOR}/lib/
COPY --from=artifacts /artifacts/extension/ /usr/share/postgresql/${PG_MAJOR}/extension/
# What was staged, from which PostgreSQL: checked against the base's major below.
COPY --from=artifacts /artifacts/MANIFEST /usr/local/share/pg_tviews/MANIFEST
# The in-database benchmark, run by `docker/bench.sh run` through pg_tviews_bench.
COPY scripts/lib/bench_run.sh /usr/local/share/pg_tviews/bench/
COPY sql/bench/ /usr/local/share/pg_tviews/bench/sql/
COPY docker/pg_tviews_bench /usr/local/bin/

# pg_ivm works only when preloaded. initdb copies the sample configuration into every new
# cluster, so the setting goes there, once: in the official image the versioned sample is a
# symbolic link to /usr/share/postgresql/postgresql.conf.sample, in Debian's package it is the
# file itself. Without pg_ivm (a prebuilt set may lack it) nothing is preloaded.
# Artifacts built for another major would load nowhere: the build stops instead.
RUN built=$(sed -nE 's/^pg ([0-9]+)\..*/\1/p' /usr/local/share/pg_tviews/MANIFEST) \
 && if [ -z "${PG_MAJOR}" ] || [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ]; then \
        echo "ERROR: no PostgreSQL server in /usr/lib/postgresql/${PG_MAJOR:-<PG_MAJOR unset>}/bin of the base image: pass --build-arg PG_MAJOR=<its major>" >&2; \
        exit 1; \
    fi \
 && if [ "$built" != "${PG_MAJOR}" ]; then \
        echo "ERROR: the artifacts were built for PostgreSQL '$built', the base image is PostgreSQL ${PG_MAJOR}: stage them with the base's pg_config" >&2; \
        exit 1; \
    fi \
 && if [ -f "/usr/lib/postgresql/${PG_MAJOR}/lib/pg_ivm.so" ]; then \
        sample=$(readlink -f "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample") \
     && printf "\n# Added by the pg_tviews image: pg_ivm must be preloaded.\nshared_preload_libraries = 'pg_ivm'\n" >>"$sample"; \
    fi
