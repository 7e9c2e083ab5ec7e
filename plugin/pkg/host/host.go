// Package host starts the compiled data source the way Grafana does — hashicorp go-plugin with
// the SDK's handshake, gRPC only, the plugin set Grafana dispenses — and hands out its gRPC
// clients. The tests and the benchmark drive the plugin through it.
package host

import (
	"context"
	"fmt"
	"io"
	"os/exec"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Plugin is a running plugin process and its services.
type Plugin struct {
	Data        pluginv2.DataClient
	Diagnostics pluginv2.DiagnosticsClient
	Stream      pluginv2.StreamClient
	Resource    pluginv2.ResourceClient

	client *goplugin.Client
}

// conn hands out the plugin's gRPC connection for one name of the plugin set.
type conn struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (conn) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }
func (conn) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// Start runs the plugin binary; its warnings and errors go to logs.
func Start(binary string, logs io.Writer) (*Plugin, error) {
	set := goplugin.PluginSet{"diagnostics": conn{}, "data": conn{}, "stream": conn{}, "resource": conn{}}
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{ProtocolVersion: grpcplugin.ProtocolVersion,
			MagicCookieKey: grpcplugin.MagicCookieKey, MagicCookieValue: grpcplugin.MagicCookieValue},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: set},
		Cmd:              exec.Command(binary),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: logs}),
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &Plugin{client: c}
	for name, set := range map[string]func(*grpc.ClientConn){
		"data":        func(cc *grpc.ClientConn) { p.Data = pluginv2.NewDataClient(cc) },
		"diagnostics": func(cc *grpc.ClientConn) { p.Diagnostics = pluginv2.NewDiagnosticsClient(cc) },
		"stream":      func(cc *grpc.ClientConn) { p.Stream = pluginv2.NewStreamClient(cc) },
		"resource":    func(cc *grpc.ClientConn) { p.Resource = pluginv2.NewResourceClient(cc) },
	} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			c.Kill()
			return nil, fmt.Errorf("dispense %s: %w", name, err)
		}
		set(raw.(*grpc.ClientConn))
	}
	return p, nil
}

// Stop ends the plugin process.
func (p *Plugin) Stop() { p.client.Kill() }
