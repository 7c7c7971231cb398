# syntax=docker/dockerfile:1
# The gridsweep command for the head node: `coordinator` (the sweep coordinator, the cluster's seed node),
# `status` and `report`. It is the coordinator's own program (src/Coordinator): no TorchSharp, no LibTorch;
# trainer slots run in the trainer images. Build from the repository root (the build context):
#   docker build -f deploy/docker/coordinator.Dockerfile -t gridsweep/coordinator .
# Run: docker run gridsweep/coordinator coordinator /sweeps/imdb-overfitting.yaml --host 0.0.0.0 \
#        --port 4053 --public-host <name trainers reach> --out /runs

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone, so a change to the code does not download the packages again.
# NuGet.Confi[g] copies a NuGet.Config from the repository root when there is one (a private feed or
# mirror) and nothing otherwise.
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props NuGet.Confi[g] ./
COPY build/ build/
COPY src/Messages/GridSweep.Messages.csproj src/Messages/
COPY src/Runtime/GridSweep.Runtime.csproj src/Runtime/
COPY src/Coordinator/GridSweep.Coordinator.csproj src/Coordinator/
RUN dotnet restore src/Coordinator/GridSweep.Coordinator.csproj -r linux-x64
COPY src/Messages/ src/Messages/
COPY src/Runtime/ src/Runtime/
COPY src/Coordinator/ src/Coordinator/
# Framework-dependent: the runtime image brings .NET.
RUN dotnet publish src/Coordinator/GridSweep.Coordinator.csproj -c Release -r linux-x64 --self-contained false \
        --no-restore -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
# `gridsweep report` draws its figures with the fonts in /usr/share/fonts and refuses to draw without one.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# The program is gridsweep-coordinator; `gridsweep` names it too, so `gridsweep status` works in the container.
RUN ln -s gridsweep-coordinator /app/gridsweep
# Results (--out /runs) and the metrics spool (/state, GridSweep:Influx:Spool) belong to the image's
# non-root user "app" ($APP_UID, 1654); a named volume mounted there starts with this ownership.
RUN mkdir -p /runs /state /sweeps && chown "$APP_UID:$APP_UID" /runs /state
ENV PATH="/app:${PATH}"
USER $APP_UID
# Akka remoting: trainers join at akka.ssl.tcp://gridsweep@<public host>:4053 (mutual TLS, README "Security").
EXPOSE 4053
ENTRYPOINT ["/app/gridsweep-coordinator"]
CMD ["--help"]
