# syntax=docker/dockerfile:1
# A trainer node on CPU (TorchSharp-cpu): joins the coordinator and trains with --slots N.
# Build from the repository root (the build context):
#   docker build -f deploy/docker/trainer-cpu.Dockerfile -t gridsweep/trainer-cpu .
# Run: docker run -v $PWD/certs:/certs:ro gridsweep/trainer-cpu --seed-node akka.ssl.tcp://gridsweep@<coordinator>:4053 \
#        --host 0.0.0.0 --port 4054 --public-host <name the coordinator reaches> --slots 2 \
#        --tls-certificate /certs/<node>.crt --tls-key /certs/<node>.key --tls-ca /certs/ca.crt   (README, "Security")

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone (see coordinator.Dockerfile); NuGet.Confi[g] is optional.
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props NuGet.Confi[g] ./
COPY build/ build/
COPY src/Messages/GridSweep.Messages.csproj src/Messages/
COPY src/Runtime/GridSweep.Runtime.csproj src/Runtime/
COPY src/TrainerNode/GridSweep.TrainerNode.csproj src/TrainerNode/
RUN dotnet restore src/TrainerNode/GridSweep.TrainerNode.csproj -r linux-x64 -p:TorchBackend=cpu
COPY src/Messages/ src/Messages/
COPY src/Runtime/ src/Runtime/
COPY src/TrainerNode/ src/TrainerNode/
RUN dotnet publish src/TrainerNode/GridSweep.TrainerNode.csproj -c Release -r linux-x64 --self-contained false \
        --no-restore -p:TorchBackend=cpu -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app ./
# IMDB data: downloaded once into the cache (GRIDSWEEP_CACHE) unless --data names a mounted copy; mount a
# volume at /cache to keep it, and one at /state for the metrics spool (GridSweep__Influx__Spool=/state/influx-spool).
RUN mkdir -p /cache /state /data && chown "$APP_UID:$APP_UID" /cache /state
ENV GRIDSWEEP_CACHE=/cache
USER $APP_UID
# Akka remoting; the port is whatever --port says (the deploy files use 4054).
EXPOSE 4054
ENTRYPOINT ["/app/GridSweep.TrainerNode"]
CMD ["--help"]
