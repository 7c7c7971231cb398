# syntax=docker/dockerfile:1
# A trainer node on NVIDIA GPUs: the CUDA build (-p:TorchBackend=cuda swaps TorchSharp-cpu for
# TorchSharp-cuda-linux, which brings LibTorch for CUDA 12.8), one slot per device (--devices cuda:0,...).
# Build from the repository root (the build context):
#   docker build -f deploy/docker/trainer-cuda.Dockerfile -t gridsweep/trainer-cuda .
# Run on a host with the NVIDIA driver and the NVIDIA Container Toolkit:
#   docker run --gpus all -v $PWD/certs:/certs:ro gridsweep/trainer-cuda --seed-node akka.ssl.tcp://gridsweep@<coordinator>:4053 \
#     --host 0.0.0.0 --port 4054 --public-host <name the coordinator reaches> --devices cuda:0 \
#     --tls-certificate /certs/<node>.crt --tls-key /certs/<node>.key --tls-ca /certs/ca.crt   (README, "Security")
#
# The CUDA TorchSharp packages (TorchSharp-cuda-linux and libtorch-cuda-12.8-linux-x64, several GB) must be
# reachable from the build's NuGet feed: nuget.org serves them; a mirror or private feed that lacks them
# fails the restore with NU1101. Put a NuGet.Config naming such a feed at the repository root and the
# build uses it. (The machine this repository is developed on cannot restore them: this file is checked
# offline, never built there.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props NuGet.Confi[g] ./
COPY build/ build/
COPY src/Messages/GridSweep.Messages.csproj src/Messages/
COPY src/Runtime/GridSweep.Runtime.csproj src/Runtime/
COPY src/TrainerNode/GridSweep.TrainerNode.csproj src/TrainerNode/
RUN dotnet restore src/TrainerNode/GridSweep.TrainerNode.csproj -r linux-x64 -p:TorchBackend=cuda
COPY src/Messages/ src/Messages/
COPY src/Runtime/ src/Runtime/
COPY src/TrainerNode/ src/TrainerNode/
RUN dotnet publish src/TrainerNode/GridSweep.TrainerNode.csproj -c Release -r linux-x64 --self-contained false \
        --no-restore -p:TorchBackend=cuda -o /app

# The .NET runtime, copied into the CUDA image below.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS dotnet

# CUDA 12.8 runtime on Ubuntu 24.04, the same Ubuntu as the .NET 10 images. LibTorch's CUDA package
# carries its own cuDNN and cuBLAS; the host's driver comes in through the NVIDIA Container Toolkit.
FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04
# What .NET needs on Ubuntu 24.04 (as in Microsoft's runtime-deps image; no ICU: the projects use
# invariant globalization).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libssl3t64 libstdc++6 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
# The same non-root user as Microsoft's images.
ENV APP_UID=1654 \
    DOTNET_RUNNING_IN_CONTAINER=true
RUN groupadd --gid="$APP_UID" app \
    && useradd --no-log-init --uid="$APP_UID" --gid="$APP_UID" --create-home app
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /cache /state /data && chown "$APP_UID:$APP_UID" /cache /state
ENV GRIDSWEEP_CACHE=/cache
USER $APP_UID
EXPOSE 4054
ENTRYPOINT ["/app/GridSweep.TrainerNode"]
CMD ["--help"]
